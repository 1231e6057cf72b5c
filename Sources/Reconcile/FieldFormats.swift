import Ledger

/// The form a text field takes on one side.
public enum FieldFormat: String, Sendable, Hashable, CaseIterable {
    /// Plain text.
    case text
    /// Markdown (the subset `docs/adf.md` lists).
    case markdown
    /// HTML, as Zendesk's `html_body`; it can be read, never written.
    case html
    /// Atlassian Document Format, as Jira's rich text fields hold it.
    case adf
}

/// The text formats of a field on each side of a pair, such as Markdown in a Zendesk
/// description and Atlassian Document Format in Jira's.
public struct FieldFormats: Sendable, Hashable {
    /// The format on the left.
    public var left: FieldFormat
    /// The format on the right.
    public var right: FieldFormat

    /// Creates the formats of a field.
    public init(left: FieldFormat, right: FieldFormat) {
        self.left = left
        self.right = right
    }

    /// The format on `side`.
    public func format(on side: Side) -> FieldFormat {
        side == .left ? left : right
    }

    /// Whether a value read on `side` can be written in the other side's format. Nothing can
    /// be written as HTML, so a field with HTML on one side carries one way only.
    public func converts(from side: Side) -> Bool {
        format(on: side.opposite) != .html
    }
}
