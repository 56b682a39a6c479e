import NeuralNet
import Randomness
import TensorEngine
import TestSupport
import Testing

/// PyTorch's state_dict names for layer `l` of `nn.LSTM` / `nn.GRU`, with ours.
private func parameterNames(layerCount: Int) -> [(pytorch: String, ours: String)] {
    (0..<layerCount).flatMap { l in
        [
            ("weight_ih_l\(l)", "layers.\(l).inputWeight"), ("weight_hh_l\(l)", "layers.\(l).hiddenWeight"),
            ("bias_ih_l\(l)", "layers.\(l).inputBias"), ("bias_hh_l\(l)", "layers.\(l).hiddenBias"),
        ]
    }
}

/// Loads a fixture's `param.*` tensors into `layer` under our keys.
private func loadPyTorchParameters(_ fixture: Fixture, into layer: any Layer, layerCount: Int) throws {
    var values: [String: Tensor] = [:]
    for (pytorch, ours) in parameterNames(layerCount: layerCount) {
        values[ours] = try fixture("param.\(pytorch)")
    }
    try layer.load(values)
}

/// Checks gradients of `f` with ``checkGradients`` where some inputs are `layer`'s own
/// parameters: the analytic pass passes the parameter leaves themselves, and each numeric pass
/// passes perturbed copies, which are written into the layer for that one evaluation.
private func checkLayerGradients(
    _ layer: any Layer, input: Tensor, sourceLocation: SourceLocation = #_sourceLocation,
    _ f: (Tensor) -> Tensor
) {
    let parameters = layer.parameters().map(\.tensor)
    checkGradients([input] + parameters, sourceLocation: sourceLocation) { xs in
        let saved = parameters.map { Tensor(shape: $0.shape, scalars: $0.scalars) }
        for (parameter, value) in zip(parameters, xs.dropFirst()) where !value.isIdentical(to: parameter) {
            parameter.assign(value)
        }
        defer { for (parameter, value) in zip(parameters, saved) { parameter.assign(value) } }
        return f(xs[0])
    }
}

/// Expects the gradient of every parameter of `layer` to match the fixture's `grad.param.*`.
private func expectParameterGradients(
    of layer: any Layer, _ grads: Gradients, match fixture: Fixture,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let parameters = Dictionary(uniqueKeysWithValues: layer.parameters().map { ($0.key, $0.tensor) })
    for (pytorch, ours) in parameterNames(layerCount: 2) {
        let parameter = try #require(parameters[ours], sourceLocation: sourceLocation)
        let gradient = try #require(grads[parameter], "no gradient for \(ours)", sourceLocation: sourceLocation)
        expectClose(gradient, try fixture("grad.param.\(pytorch)"), ours, sourceLocation: sourceLocation)
    }
}

/// Row `b` of `x` `[B, T, F]` cut to its first `length` steps: `[1, length, F]`.
private func prefix(_ x: Tensor, row b: Int, length: Int) -> Tensor {
    x.slice(axis: 0, b..<(b + 1)).slice(axis: 1, 0..<length)
}

/// Row `b` of a state `[L, B, H]`: `[L, 1, H]`.
private func stateRow(_ state: Tensor, _ b: Int) -> Tensor {
    state.slice(axis: 1, b..<(b + 1))
}

@Suite("Recurrent layers")
struct RecurrentTests {
    // MARK: PyTorch parity (Fixtures/make_fixtures.py, make_recurrent)

    @Test("LSTM matches nn.LSTM(4, 6, num_layers=2): outputs and every gradient")
    func lstmMatchesPyTorch() throws {
        // Given PyTorch's weights, input and upstream gradients
        let fixture = try Fixture("lstm")
        var rng = RandomGenerator(seed: 1)
        let lstm = LSTM(inputSize: 4, hiddenSize: 6, layerCount: 2, generator: &rng)
        try loadPyTorchParameters(fixture, into: lstm, layerCount: 2)
        let x = try fixture("input.x").requiringGradient()

        // When the loss is sum(y * up_y) + sum(h_n * up_h) + sum(c_n * up_c)
        let result = lstm(x)
        let loss =
            try (result.output * fixture("upstream.y")).sum()
            + (result.hidden * fixture("upstream.h_n")).sum()
            + (result.cell * fixture("upstream.c_n")).sum()
        let grads = loss.gradients()

        // Then outputs and gradients agree with PyTorch
        expectClose(result.output, try fixture("output.y"), "y")
        expectClose(result.hidden, try fixture("output.h_n"), "h_n")
        expectClose(result.cell, try fixture("output.c_n"), "c_n")
        expectClose(try #require(grads[x]), try fixture("grad.input.x"), "dx")
        try expectParameterGradients(of: lstm, grads, match: fixture)
    }

    @Test("GRU matches nn.GRU(4, 6, num_layers=2): outputs and every gradient")
    func gruMatchesPyTorch() throws {
        let fixture = try Fixture("gru")
        var rng = RandomGenerator(seed: 1)
        let gru = GRU(inputSize: 4, hiddenSize: 6, layerCount: 2, generator: &rng)
        try loadPyTorchParameters(fixture, into: gru, layerCount: 2)
        let x = try fixture("input.x").requiringGradient()

        let result = gru(x)
        let loss = try (result.output * fixture("upstream.y")).sum() + (result.hidden * fixture("upstream.h_n")).sum()
        let grads = loss.gradients()

        expectClose(result.output, try fixture("output.y"), "y")
        expectClose(result.hidden, try fixture("output.h_n"), "h_n")
        expectClose(try #require(grads[x]), try fixture("grad.input.x"), "dx")
        try expectParameterGradients(of: gru, grads, match: fixture)
    }

    @Test("Parameters use PyTorch's shapes under dotted layer keys")
    func parameterKeysAndShapes() {
        var rng = RandomGenerator(seed: 2)
        let lstm = LSTM(inputSize: 5, hiddenSize: 3, layerCount: 2, generator: &rng)
        let gru = GRU(inputSize: 5, hiddenSize: 3, layerCount: 2, generator: &rng)
        let expectedKeys = parameterNames(layerCount: 2).map(\.ours)
        #expect(lstm.parameters().map(\.key) == expectedKeys)
        #expect(gru.parameters().map(\.key) == expectedKeys)
        #expect(
            lstm.parameters().map(\.tensor.shape) == [[12, 5], [12, 3], [12], [12], [12, 3], [12, 3], [12], [12]])
        #expect(gru.parameters().map(\.tensor.shape) == [[9, 5], [9, 3], [9], [9], [9, 3], [9, 3], [9], [9]])
        // U(-1/sqrt(H), 1/sqrt(H)) for every tensor.
        let bound = 1 / Float(3).squareRoot()
        #expect(lstm.parameters().allSatisfy { $0.tensor.scalars.allSatisfy { abs($0) <= bound } })
    }

    // MARK: Finite differences

    @Test("LSTM gradients of input and parameters match central differences, with padding")
    func lstmGradientsMatchFiniteDifferences() {
        var rng = RandomGenerator(seed: 3)
        let lstm = LSTM(inputSize: 3, hiddenSize: 4, layerCount: 2, generator: &rng)
        let x = randomInput([2, 3, 3], seed: 4)
        checkLayerGradients(lstm, input: x) { x in
            let result = lstm(x, lengths: [3, 1])
            // Every output takes part: sequence, final hidden and final cell states.
            return Tensor.concatenate(
                [result.output.reshaped([-1]), result.hidden.reshaped([-1]), result.cell.reshaped([-1])], axis: 0)
        }
    }

    @Test("GRU gradients of input and parameters match central differences, with padding")
    func gruGradientsMatchFiniteDifferences() {
        var rng = RandomGenerator(seed: 5)
        let gru = GRU(inputSize: 3, hiddenSize: 4, layerCount: 2, generator: &rng)
        let x = randomInput([2, 3, 3], seed: 6)
        checkLayerGradients(gru, input: x) { x in
            let result = gru(x, lengths: [3, 1])
            return Tensor.concatenate([result.output.reshaped([-1]), result.hidden.reshaped([-1])], axis: 0)
        }
    }

    @Test("Gradients reach the initial state")
    func initialStateGradients() {
        var rng = RandomGenerator(seed: 7)
        let lstm = LSTM(inputSize: 2, hiddenSize: 3, layerCount: 2, generator: &rng)
        let gru = GRU(inputSize: 2, hiddenSize: 3, layerCount: 2, generator: &rng)
        let x = randomInput([2, 3, 2], seed: 8)
        let h0 = randomInput([2, 2, 3], seed: 9)
        let c0 = randomInput([2, 2, 3], seed: 10)
        checkGradients([h0, c0]) { s in
            let result = lstm(x, lengths: [2, 3], initialState: LSTMState(hidden: s[0], cell: s[1]))
            return Tensor.concatenate([result.output.reshaped([-1]), result.cell.reshaped([-1])], axis: 0)
        }
        checkGradients([h0]) { s in gru(x, lengths: [1, 3], initialState: s[0]).output }
    }

    // MARK: Lengths and state

    @Test("With lengths, padded outputs are zero and the final state is the unpadded prefix's")
    func lengthsMatchUnpaddedPrefixes() {
        // Given a batch whose rows have 5, 2 and 0 real steps
        var rng = RandomGenerator(seed: 11)
        let lstm = LSTM(inputSize: 3, hiddenSize: 4, layerCount: 2, generator: &rng)
        let gru = GRU(inputSize: 3, hiddenSize: 4, layerCount: 2, generator: &rng)
        let x = Tensor.uniform([3, 5, 3], in: -1...1, generator: &rng)
        let lengths = [5, 2, 0]

        // When the stacks run over the padded batch
        let lstmResult = lstm(x, lengths: lengths)
        let gruResult = gru(x, lengths: lengths)

        // Then each row equals running its prefix alone, and padded steps are zero
        let zeros = Tensor.zeros([2, 1, 4])
        for (b, length) in lengths.enumerated() {
            let padding = 5 - length
            let row = { (y: Tensor) in y.slice(axis: 0, b..<(b + 1)) }
            if padding > 0 {
                expectClose(
                    row(lstmResult.output).slice(axis: 1, length..<5), .zeros([1, padding, 4]), "LSTM padding \(b)")
                expectClose(
                    row(gruResult.output).slice(axis: 1, length..<5), .zeros([1, padding, 4]), "GRU padding \(b)")
            }
            guard length > 0 else {
                // No real step: the final state is the (zero) initial state.
                expectClose(stateRow(lstmResult.hidden, b), zeros, "LSTM empty h")
                expectClose(stateRow(lstmResult.cell, b), zeros, "LSTM empty c")
                expectClose(stateRow(gruResult.hidden, b), zeros, "GRU empty h")
                continue
            }
            let alone = lstm(prefix(x, row: b, length: length))
            expectClose(row(lstmResult.output).slice(axis: 1, 0..<length), alone.output, "LSTM output \(b)")
            expectClose(stateRow(lstmResult.hidden, b), alone.hidden, "LSTM h \(b)")
            expectClose(stateRow(lstmResult.cell, b), alone.cell, "LSTM c \(b)")
            let gruAlone = gru(prefix(x, row: b, length: length))
            expectClose(row(gruResult.output).slice(axis: 1, 0..<length), gruAlone.output, "GRU output \(b)")
            expectClose(stateRow(gruResult.hidden, b), gruAlone.hidden, "GRU h \(b)")
        }
    }

    @Test("Lengths equal to T give the same result as no lengths")
    func fullLengthsAreNoPadding() {
        var rng = RandomGenerator(seed: 12)
        let lstm = LSTM(inputSize: 3, hiddenSize: 4, generator: &rng)
        let x = Tensor.uniform([2, 4, 3], in: -1...1, generator: &rng)
        let plain = lstm(x)
        let full = lstm(x, lengths: [4, 4])
        expectClose(full.output, plain.output, relative: 0, absolute: 0, "output")
        expectClose(full.cell, plain.cell, relative: 0, absolute: 0, "cell")
    }

    @Test("Continuing from a returned state equals one run over the whole sequence")
    func stateCarriesAcrossCalls() {
        var rng = RandomGenerator(seed: 13)
        let lstm = LSTM(inputSize: 3, hiddenSize: 4, layerCount: 2, generator: &rng)
        let gru = GRU(inputSize: 3, hiddenSize: 4, layerCount: 2, generator: &rng)
        let x = Tensor.uniform([2, 6, 3], in: -1...1, generator: &rng)
        let (head, tail) = (x.slice(axis: 1, 0..<2), x.slice(axis: 1, 2..<6))

        let whole = lstm(x)
        let continued = lstm(tail, initialState: lstm(head).state)
        expectClose(continued.output, whole.output.slice(axis: 1, 2..<6), "LSTM output")
        expectClose(continued.hidden, whole.hidden, "LSTM h")
        expectClose(continued.cell, whole.cell, "LSTM c")

        let gruWhole = gru(x)
        let gruContinued = gru(tail, initialState: gru(head).hidden)
        expectClose(gruContinued.output, gruWhole.output.slice(axis: 1, 2..<6), "GRU output")
        expectClose(gruContinued.hidden, gruWhole.hidden, "GRU h")
    }

    @Test("A cell's single step equals a one-layer stack over one step")
    func cellStepMatchesStack() {
        var rng = RandomGenerator(seed: 14)
        let lstm = LSTM(inputSize: 3, hiddenSize: 4, generator: &rng)
        let gru = GRU(inputSize: 3, hiddenSize: 4, generator: &rng)
        let x = Tensor.uniform([2, 1, 3], in: -1...1, generator: &rng)
        let h = Tensor.uniform([2, 4], in: -1...1, generator: &rng)
        let c = Tensor.uniform([2, 4], in: -1...1, generator: &rng)

        let step = lstm.layers[0](x.reshaped([2, 3]), hidden: h, cell: c)
        let run = lstm(x, initialState: LSTMState(hidden: h.reshaped([1, 2, 4]), cell: c.reshaped([1, 2, 4])))
        expectClose(step.hidden, run.hidden.reshaped([2, 4]), "LSTM h")
        expectClose(step.cell, run.cell.reshaped([2, 4]), "LSTM c")

        let gruStep = gru.layers[0](x.reshaped([2, 3]), hidden: h)
        expectClose(gruStep, gru(x, initialState: h.reshaped([1, 2, 4])).hidden.reshaped([2, 4]), "GRU h")
    }

    // MARK: Dropout

    @Test("Dropout acts between layers in training mode only")
    func dropoutBetweenLayers() {
        var rng = RandomGenerator(seed: 15)
        let stacked = LSTM(inputSize: 3, hiddenSize: 8, layerCount: 2, dropout: 0.5, generator: &rng)
        let single = GRU(inputSize: 3, hiddenSize: 8, layerCount: 1, dropout: 0.5, generator: &rng)
        let x = Tensor.uniform([4, 5, 3], in: -1...1, generator: &rng)

        // Evaluation: deterministic.
        stacked.setTraining(false)
        single.setTraining(false)
        let evaluation = stacked(x)
        expectClose(stacked(x).output, evaluation.output, relative: 0, absolute: 0, "eval is repeatable")
        let singleEvaluation = single(x).output

        // Training: the second layer sees dropped inputs, so the output changes ...
        stacked.setTraining(true)
        single.setTraining(true)
        let training = stacked(x)
        let change = (training.output - evaluation.output).abs().max().scalar
        #expect(change > 1e-3)
        // ... but a single layer has no layer after it, so its dropout never applies.
        expectClose(single(x).output, singleEvaluation, relative: 0, absolute: 0, "one layer ignores dropout")
    }

    // MARK: Training

    @Test("An LSTM learns whether a padded sequence's first and last real steps agree (>= 95% held out)")
    func learnsFirstEqualsLast() {
        // Given ±1 sequences of 4 to 8 real steps (zero-padded to 8), labelled 1 when the first
        // and the last real value are equal: the answer needs a memory of step 0 and the final
        // state taken at each sequence's own length
        var rng = RandomGenerator(seed: 16)
        func makeSet(_ count: Int) -> (x: Tensor, y: Tensor, lengths: [Int]) {
            let lengths = (0..<count).map { _ in 4 + rng.nextInt(below: 5) }
            var values = [Float](repeating: 0, count: count * 8)
            var labels = [Float](repeating: 0, count: count)
            for i in 0..<count {
                for t in 0..<lengths[i] { values[i * 8 + t] = rng.nextBernoulli(0.5) ? 1 : -1 }
                labels[i] = values[i * 8] == values[i * 8 + lengths[i] - 1] ? 1 : 0
            }
            return (Tensor(shape: [count, 8, 1], scalars: values), Tensor(shape: [count], scalars: labels), lengths)
        }
        let train = makeSet(512)
        let heldOut = makeSet(256)
        let lstm = LSTM(inputSize: 1, hiddenSize: 8, generator: &rng)
        let head = Linear(inputSize: 8, outputSize: 1, generator: &rng)
        func logits(_ x: Tensor, lengths: [Int]) -> Tensor {
            let batch = x.shape[0]
            return head(lstm(x, lengths: lengths).hidden.reshaped([batch, 8])).reshaped([batch])
        }
        let optimizer = Adam(
            parameters: lstm.parameters() + head.parameters().map { ("head." + $0.key, $0.tensor) },
            rule: AdamRule(), learningRate: 0.03)

        // When it trains for 20 epochs of mini-batches of 64 (100% held out from epoch 8 on
        // seeds 16, 17 and 18)
        for _ in 0..<20 {
            for start in stride(from: 0, to: 512, by: 64) {
                let rows = start..<(start + 64)
                let loss = binaryCrossEntropyWithLogits(
                    logits: logits(train.x.slice(axis: 0, rows), lengths: Array(train.lengths[rows])),
                    targets: train.y.slice(axis: 0, rows))
                optimizer.step(loss.gradients())
            }
        }

        // Then at least 95% of held-out sequences are classified correctly
        let scores = Tensor.withoutGradients { logits(heldOut.x, lengths: heldOut.lengths) }
        let correct = zip(scores.scalars, heldOut.y.scalars).filter { ($0 > 0) == ($1 == 1) }.count
        let accuracy = Double(correct) / Double(heldOut.lengths.count)
        #expect(accuracy >= 0.95, "held-out accuracy \(accuracy)")
    }
}
