import ADF
import Foundation

/// `syncledger convert`: converts a description or comment between text formats.
struct ConvertCommand: Command {
    static let name = "convert"
    static let summary = "Convert text between Markdown, plain text, HTML and Jira's ADF."
    static let usage = "convert --from FORMAT --to FORMAT"
    static let discussion = """
        Reads standard input and writes the converted text to standard output. ADF is read and
        written as JSON. HTML is read only: tags are dropped and block elements end lines.
        Nodes of an ADF document that have no Markdown form become their text. See docs/adf.md
        for the Markdown subset.

        Examples:
          syncledger convert --from markdown --to adf < description.md
          syncledger convert --from adf --to markdown < issue-description.json
          syncledger convert --from html --to text < comment.html
        """
    static let options: [OptionSpec] = [
        .value("from", "FORMAT", "What standard input holds: markdown, text, html or adf."),
        .value("to", "FORMAT", "What to write: adf, markdown or text."),
    ]

    let source: TextFormat
    let target: TextFormat

    init(_ arguments: Arguments, environment: [String: String]) throws(UsageError) {
        try arguments.expectPositionals(atMost: 0)
        source = try Self.format(arguments, "from", allowed: [.markdown, .text, .html, .adf])
        target = try Self.format(arguments, "to", allowed: [.adf, .markdown, .text])
    }

    /// The format named by option `name`, which must be given and be one of `allowed`.
    private static func format(_ arguments: Arguments, _ name: String, allowed: [TextFormat])
        throws(UsageError) -> TextFormat
    {
        let names = allowed.map(\.rawValue).joined(separator: ", ")
        guard let text = arguments.value(name) else {
            throw UsageError(
                message: "'--\(name) FORMAT' is required; FORMAT is one of \(names)",
                command: Self.name)
        }
        guard let format = TextFormat(rawValue: text), allowed.contains(format) else {
            throw UsageError(
                message: "'--\(name) \(text)': expected one of \(names)", command: Self.name)
        }
        return format
    }

    func run() async throws -> Int32 {
        let data = FileHandle.standardInput.readDataToEndOfFile()
        guard let input = String(validating: data, as: UTF8.self) else {
            Output.error("standard input is not UTF-8 text; convert it to UTF-8 first")
            return ExitStatus.failure
        }
        do {
            let converted = try ADFConversion.convert(input, from: source, to: target)
            Output.line(converted)
            return ExitStatus.success
        } catch {
            Output.error("standard input: \(error)")
            return ExitStatus.failure
        }
    }
}
