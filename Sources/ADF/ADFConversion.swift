import Ledger

/// The text formats a description or comment can be converted between.
public enum TextFormat: String, Sendable, CaseIterable {
    /// Plain text: blank lines separate paragraphs, other line endings are line breaks.
    case text
    /// The Markdown subset described in `docs/adf.md`.
    case markdown
    /// Atlassian Document Format as JSON, as Jira stores descriptions and comments.
    case adf
    /// HTML, as Zendesk sends a comment's `html_body`; read only.
    case html
}

/// Why a conversion could not be done: input that is not what its format says, or a target
/// format that cannot be written.
public struct ConversionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong and where, such as `content[2] is not an ADF node: expected an object`.
    public let description: String

    /// Creates an error with a message a user can act on.
    public init(_ description: String) {
        self.description = description
    }
}

/// Conversions between plain text, the Markdown subset, HTML and Atlassian Document Format.
///
/// Every document produced is valid against the ADF version 1 schema: text nodes are never
/// empty, `code` is combined only with `link`, and code blocks hold unmarked text. Reading ADF
/// never fails on nodes it does not know; they are replaced by their text (see `docs/adf.md`).
/// All functions are pure and safe to call from any thread.
public enum ADFConversion {
    /// The ADF document for Markdown `markdown`; empty input gives a document without content.
    public static func document(fromMarkdown markdown: String) -> Value {
        MarkdownReader.document(from: markdown).value
    }

    /// The ADF document for plain `text`: paragraphs split at blank lines, every other line
    /// ending a `hardBreak`; nothing in the text is read as markup.
    public static func document(fromText text: String) -> Value {
        PlainTextReader.document(from: text).value
    }

    /// The Markdown for an ADF `document`; nodes without a Markdown form become their text.
    ///
    /// Parts that are not ADF nodes are skipped; use ``convert(_:from:to:)`` or
    /// ``markdown(fromChecked:)`` to have them reported instead.
    public static func markdown(from document: Value) -> String {
        var reader = DocumentReader()
        return MarkdownWriter.markdown(of: reader.read(document))
    }

    /// The Markdown for an ADF `document`, refusing one that is not a well-formed `doc`.
    ///
    /// Throws ``ConversionError`` naming the first member that is not a node, such as
    /// `content[2] is not an ADF node: expected an object, found a string`.
    public static func markdown(fromChecked document: Value) throws(ConversionError) -> String {
        MarkdownWriter.markdown(of: try checkedTree(document))
    }

    /// The plain text of an ADF `document`: marks dropped, list markers and `> ` kept.
    ///
    /// Parts that are not ADF nodes are skipped, as in ``markdown(from:)``.
    public static func text(from document: Value) -> String {
        var reader = DocumentReader()
        return PlainTextWriter.text(of: reader.read(document))
    }

    /// The plain text of HTML `html`: tags dropped, block elements as line breaks, entities
    /// decoded, whitespace collapsed outside `<pre>`, script and style content left out.
    public static func text(fromHTML html: String) -> String {
        HTMLText.text(from: html)
    }

    /// Converts `input` from one format to another; ADF is read and written as JSON.
    ///
    /// Throws ``ConversionError`` when ADF input is not JSON or not a well-formed `doc`
    /// (naming the line and column, or the member, at fault), or when `target` is
    /// ``TextFormat/html``, which is not written.
    public static func convert(_ input: String, from source: TextFormat, to target: TextFormat)
        throws(ConversionError) -> String
    {
        guard target != .html else {
            throw ConversionError(
                "converting to html is not supported; convert to text, markdown or adf")
        }
        let tree: Document
        switch source {
        case .text:
            tree = PlainTextReader.document(from: input)
        case .markdown:
            tree = MarkdownReader.document(from: input)
        case .html:
            tree = PlainTextReader.document(from: HTMLText.text(from: input))
        case .adf:
            let value: Value
            do {
                value = try Value(json: input)
            } catch {
                throw ConversionError("the ADF input is not JSON: \(error)")
            }
            tree = try checkedTree(value)
        }
        switch target {
        case .adf:
            return tree.value.json
        case .markdown:
            return MarkdownWriter.markdown(of: tree)
        case .text, .html:
            return PlainTextWriter.text(of: tree)
        }
    }

    private static func checkedTree(_ document: Value) throws(ConversionError) -> Document {
        var reader = DocumentReader()
        let tree = reader.read(document)
        if let problem = reader.problem {
            throw problem
        }
        return tree
    }
}
