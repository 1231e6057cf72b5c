import Ledger
import Reconcile

/// A tool call's arguments, read and checked against the tool's schema.
struct ToolRequest: Sendable {
    let tool: GatewayTool
    /// The record the call names (`record`), if it names one.
    var record: RecordReference?
    var field: String?
    var text: String?
    var filters = ValueObject()
    var kind: RecordSet?
    var linkedTo: RecordReference?
    var limit = 20
    /// The fields a proposal would set.
    var fields = ValueObject()

    init(_ tool: GatewayTool, _ arguments: ValueObject) throws(GatewayError) {
        self.tool = tool
        guard case .object(let schema)? = tool.inputSchema["properties"] else {
            preconditionFailure("every tool's schema has properties")
        }
        for (name, _) in arguments where schema[name] == nil {
            throw .invalidArguments(
                "\(tool.rawValue) takes no '\(name)'; it takes "
                    + schema.keys.joined(separator: ", "))
        }
        for case .string(let name) in tool.inputSchema["required"]?.arrayValue ?? []
        where arguments[name] == nil {
            throw .invalidArguments("\(tool.rawValue) needs '\(name)'")
        }
        record = try Self.reference(arguments, "record")
        linkedTo = try Self.reference(arguments, "linkedTo")
        field = try Self.string(arguments, "field")
        text = try Self.string(arguments, "text")
        if let kind = try Self.string(arguments, "records") {
            let parts = kind.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw .invalidArguments("'records' is '\(kind)'; expected connection:type")
            }
            self.kind = RecordSet(connection: String(parts[0]), recordType: String(parts[1]))
        }
        if let limit = arguments["limit"] {
            guard let count = limit.integerValue, (1...100).contains(count) else {
                throw .invalidArguments("'limit' must be a whole number from 1 to 100")
            }
            self.limit = Int(count)
        }
        for (name, target) in [("where", \ToolRequest.filters), ("fields", \ToolRequest.fields)] {
            guard let value = arguments[name] else {
                continue
            }
            guard case .object(let object) = value else {
                throw .invalidArguments("'\(name)' must be an object of field names and values")
            }
            self[keyPath: target] = object
        }
        if tool == .proposeChange, fields.isEmpty {
            throw .invalidArguments("'fields' names no field to change")
        }
    }

    private static func string(_ arguments: ValueObject, _ name: String) throws(GatewayError)
        -> String?
    {
        guard let value = arguments[name] else {
            return nil
        }
        guard case .string(let text) = value, !text.isEmpty else {
            throw .invalidArguments("'\(name)' must be a non-empty string")
        }
        return text
    }

    private static func reference(_ arguments: ValueObject, _ name: String) throws(GatewayError)
        -> RecordReference?
    {
        guard let text = try string(arguments, name) else {
            return nil
        }
        guard let reference = RecordReference(text) else {
            throw .invalidArguments(
                "'\(name)' is '\(text)'; expected connection:type/id, such as zendesk:ticket/42")
        }
        return reference
    }
}
