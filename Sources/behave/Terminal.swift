import ArgumentParser
import FileIO
import Foundation

/// Text from input files and users, made safe to show on a terminal.
enum TerminalText {
    /// `text` with every control character but line feed and tab written as an escape
    /// (`\u{1B}`), so an id or a cell holding ESC, BEL or CR cannot recolour the terminal,
    /// ring it or overwrite what was printed.
    static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var result = ""
        result.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            if needsEscape(scalar) {
                result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// C0 controls but `\n` and `\t`, DEL, and the C1 controls (some terminals act on them).
    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A, 0x09: return false
        case 0x00...0x1F, 0x7F...0x9F: return true
        default: return false
        }
    }
}

/// Prints a line of output whose text may hold user data, with control characters escaped.
func say(_ text: String) {
    print(TerminalText.escaped(text))
}

/// Writes a line to standard error, with control characters escaped.
func note(_ text: String) {
    FileHandle.standardError.write(Data((TerminalText.escaped(text) + "\n").utf8))
}

/// An error message without ArgumentParser's usage line.
struct PlainError: LocalizedError {
    let errorDescription: String?
}

extension Behave {
    /// Parses and runs a command; errors are printed as ArgumentParser would, but with
    /// Foundation's error codes translated into words and control characters escaped.
    static func runReportingErrors(_ arguments: [String]? = nil) -> Never {
        var command: any ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            report(error)
        }
        do {
            try command.run()
        } catch {
            // A problem found while running is about the data, not the command's usage.
            report(error is ValidationError ? PlainError(errorDescription: "\(error)") : plain(error))
        }
        Foundation.exit(ExitCode.success.rawValue)
    }

    /// Prints `error` (or help, or a version) where ArgumentParser would, and exits.
    private static func report(_ error: any Error) -> Never {
        let code = exitCode(for: error)
        let message = TerminalText.escaped(fullMessage(for: error))
        if code == .success {
            print(message)
        } else {
            FileHandle.standardError.write(Data((message + "\n").utf8))
        }
        Foundation.exit(code.rawValue)
    }

    /// `error`, or for Foundation's file errors a plain-words version naming the file.
    static func plain(_ error: any Error) -> any Error {
        guard error is CocoaError || (error as NSError).domain == NSPOSIXErrorDomain else { return error }
        let path =
            (error as NSError).userInfo[NSFilePathErrorKey] as? String
            ?? ((error as NSError).userInfo[NSURLErrorKey] as? URL)?.path
        let reason = FileError.describe(error)
        return PlainError(errorDescription: path.map { "\($0): \(reason)" } ?? reason)
    }
}
