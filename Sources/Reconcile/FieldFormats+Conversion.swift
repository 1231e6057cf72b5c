import ADF
import Ledger

extension FieldFormats {
    /// `value`, read on `side` in that side's format, in the other side's format. `null`
    /// stays `null`; nothing can be written as HTML.
    func convert(_ value: Value, from side: Side, field: String) throws(MappingError) -> Value {
        let source = format(on: side)
        let target = format(on: side.opposite)
        guard source != target, value != .null else {
            return value
        }
        func failure(_ reason: String) -> MappingError {
            MappingError(field: field, side: side, reason: reason)
        }
        guard target != .html else {
            throw failure("HTML can be read but not written")
        }
        if source == .adf {
            guard case .object = value else {
                throw failure("expected an Atlassian document, found \(value.json)")
            }
            let text =
                target == .markdown
                ? ADFConversion.markdown(from: value) : ADFConversion.text(from: value)
            return .string(text)
        }
        guard case .string(let text) = value else {
            throw failure("expected \(source.rawValue) text, found \(value.json)")
        }
        let document: Value =
            switch source {
            case .markdown: ADFConversion.document(fromMarkdown: text)
            case .html: ADFConversion.document(fromText: ADFConversion.text(fromHTML: text))
            default: ADFConversion.document(fromText: text)
            }
        switch target {
        case .adf: return document
        case .markdown: return .string(ADFConversion.markdown(from: document))
        default: return .string(ADFConversion.text(from: document))
        }
    }
}
