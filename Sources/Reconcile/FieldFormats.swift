import ADF
import Ledger

/// The text formats of a field on each side of a pair, such as Markdown in a Zendesk
/// description and Atlassian Document Format in Jira's.
public struct FieldFormats: Sendable, Hashable {
    /// The format on the left.
    public var left: TextFormat
    /// The format on the right.
    public var right: TextFormat

    /// Creates the formats of a field.
    public init(left: TextFormat, right: TextFormat) {
        self.left = left
        self.right = right
    }

    /// The format on `side`.
    public func format(on side: Side) -> TextFormat {
        side == .left ? left : right
    }

    /// Whether a value read on `side` can be written in the other side's format. Nothing can
    /// be written as HTML, so a field with HTML on one side carries one way only.
    public func converts(from side: Side) -> Bool {
        format(on: side.opposite) != .html
    }
}
