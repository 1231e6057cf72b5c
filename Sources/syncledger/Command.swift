import Foundation
import Ledger
import Synchronization

/// A subcommand of `syncledger`: its help, its options, and what it does.
protocol Command: Sendable {
    /// The word that selects it, such as `log`.
    static var name: String { get }
    /// One line for the command list.
    static var summary: String { get }
    /// The usage line after `syncledger`, such as `log [options]`.
    static var usage: String { get }
    /// Paragraphs of help after the summary.
    static var discussion: String { get }
    /// The options it takes, besides `--help`.
    static var options: [OptionSpec] { get }

    /// Reads the command's arguments; throws ``UsageError`` for bad ones.
    init(_ arguments: Arguments, environment: [String: String]) throws(UsageError)

    /// Does the work and returns the exit status: 0 for success, 1 for failure.
    func run() async throws -> Int32
}

extension Command {
    /// The command's `--help` text.
    static var help: String {
        var text = "\(summary)\n\nUsage: syncledger \(usage)\n"
        if !discussion.isEmpty {
            text += "\n\(discussion)\n"
        }
        text += "\nOptions:\n"
        let rows =
            options.map { spec in
                ("--\(spec.name)" + (spec.valueName.map { " \($0)" } ?? ""), spec.help)
            } + [("--help", "Show this help.")]
        let width = rows.map(\.0.count).max() ?? 0
        for (left, right) in rows {
            text +=
                "  " + left.padding(toLength: width + 2, withPad: " ", startingAt: 0) + right + "\n"
        }
        return text
    }
}

/// The exit statuses `syncledger` uses.
enum ExitStatus {
    static let success: Int32 = 0
    static let failure: Int32 = 1
    static let usage: Int32 = 64
}

/// Where a command writes: results to standard output, problems to standard error.
///
/// Output is buffered and written in large pieces; ``flush()`` pushes it out, which commands
/// do whenever a reader must see a line at once (an acknowledged append, a followed event).
enum Output {
    /// Whether standard output is a terminal that may be coloured (never with `NO_COLOR`).
    static let usesColor: Bool = {
        isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
    }()

    private static let buffer = Mutex<[UInt8]>([])

    static func line(_ text: String) {
        let full = buffer.withLock { buffer in
            buffer.append(contentsOf: text.utf8)
            buffer.append(UInt8(ascii: "\n"))
            return buffer.count >= 64 << 10
        }
        if full {
            flush()
        }
    }

    /// Writes everything buffered so far, so a reader of a pipe sees it now.
    static func flush() {
        buffer.withLock { buffer in
            writeAll(buffer, to: STDOUT_FILENO)
            buffer.removeAll(keepingCapacity: true)
        }
    }

    static func error(_ text: String) {
        flush()
        writeAll(Array(("syncledger: " + text + "\n").utf8), to: STDERR_FILENO)
    }

    /// Writes text to standard error as it is, for usage shown because of bad usage.
    static func usageError(_ text: String) {
        flush()
        writeAll(Array((text + "\n").utf8), to: STDERR_FILENO)
    }

    /// Whether standard error is a terminal, where progress can be redrawn in place.
    static let showsProgress: Bool = isatty(STDERR_FILENO) == 1

    /// Redraws a progress line on standard error when it is a terminal; `done` ends the line.
    static func progress(_ text: String, done: Bool = false) {
        guard showsProgress else {
            return
        }
        writeAll(Array(("\r\u{1B}[K" + text + (done ? "\n" : "")).utf8), to: STDERR_FILENO)
    }

    /// Writes a note to standard error: something the user should know that is not a failure.
    static func note(_ text: String) {
        flush()
        writeAll(Array(("syncledger: " + text + "\n").utf8), to: STDERR_FILENO)
    }

    static func styled(_ text: String, _ code: String) -> String {
        usesColor ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32) {
        bytes.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 && errno == EINTR {
                    continue
                }
                guard written > 0 else {
                    return
                }
                offset += written
            }
        }
    }
}
