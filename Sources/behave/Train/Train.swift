import ArgumentParser

/// `behave train`: one subcommand per task, each with only its own flags.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model and write a model directory.",
        discussion: """
            Tasks:
              next-item  the next item a user interacts with (SASRec, GRU4Rec, popularity), from the event store
              classify   a binary column of any CSV/TSV table (MLP, logistic regression)
              purchase   whether a user buys in a window after a cut-off, from the event store
              churn      whether a user is inactive in a window after a cut-off, from the event store

            Every task trains with the same loop: validation every few epochs, early stopping once
            validation stops improving (--patience, --minimum-improvement), the best weights kept,
            an optional --time-budget, a progress bar and one log line per epoch.
            """,
        subcommands: [TrainNextItem.self, TrainClassify.self, TrainPurchase.self, TrainChurn.self]
    )
}
