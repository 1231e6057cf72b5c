import Ledger

/// One Model Context Protocol session over an ``AgentGateway``: JSON-RPC 2.0 messages in,
/// answers out, whatever carries them (``MCPStdioServer`` carries them over standard input and
/// output, one message a line).
///
/// It speaks the lifecycle (`initialize` with version negotiation, then
/// `notifications/initialized`), `ping`, `tools/list`, `tools/call`, `resources/list`,
/// `resources/templates/list` and `resources/read`. Errors take the protocol's shapes: parse
/// errors, invalid requests, unknown methods and bad parameters as JSON-RPC errors; a tool's
/// refusal as a result with `isError` set, so the model can read it.
public actor MCPSession {
    /// The protocol revisions spoken, newest first.
    public static let protocolVersions = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]

    private let gateway: AgentGateway
    private let version: String
    /// The revision agreed at `initialize`; `nil` before it.
    public private(set) var protocolVersion: String?

    /// A session over `gateway`, reporting `version` as the server's.
    public init(gateway: AgentGateway, version: String) {
        self.gateway = gateway
        self.version = version
    }

    /// Answers one message (a request, a notification or a batch of them), as JSON text;
    /// `nil` when nothing is to be sent back.
    public func handle(_ text: String) async -> String? {
        let message: Value
        do {
            message = try Value(json: text)
        } catch {
            return Self.error(id: .null, code: -32700, "parse error: \(error)").json
        }
        if case .array(let batch) = message {
            guard !batch.isEmpty else {
                return Self.error(id: .null, code: -32600, "an empty batch").json
            }
            var answers: [Value] = []
            for element in batch {
                if let answer = await handle(element) {
                    answers.append(answer)
                }
            }
            return answers.isEmpty ? nil : Value.array(answers).json
        }
        return await handle(message)?.json
    }

    private func handle(_ message: Value) async -> Value? {
        guard case .object(let request) = message, request["jsonrpc"] == "2.0",
            case .string(let method)? = request["method"]
        else {
            let id = message["id"] ?? .null
            return Self.error(id: id, code: -32600, "not a JSON-RPC 2.0 request")
        }
        guard let id = request["id"] else {
            // A notification: `notifications/initialized`, `notifications/cancelled` and any
            // other are taken without an answer.
            return nil
        }
        guard Self.isValidID(id) else {
            return Self.error(id: .null, code: -32600, "an id must be a string or a number")
        }
        let params = request["params"]?.objectValue ?? ValueObject()
        if protocolVersion == nil, method != "initialize", method != "ping" {
            return Self.error(
                id: id, code: -32600, "the session is not initialized: send initialize first")
        }
        do {
            return ["jsonrpc": "2.0", "id": id, "result": try await result(method, params)]
        } catch let failure as Failure {
            return Self.error(id: id, code: failure.code, failure.message, data: failure.data)
        } catch let error as GatewayError {
            switch error {
            case .unknownTool, .invalidArguments:
                return Self.error(id: id, code: -32602, error.description)
            case .unrecorded:
                return Self.error(id: id, code: -32603, error.description)
            }
        } catch {
            return Self.error(id: id, code: -32603, "internal error: \(error)")
        }
    }

    private func result(_ method: String, _ params: ValueObject) async throws -> Value {
        switch method {
        case "initialize":
            return initialize(params)
        case "ping":
            return .object([:])
        case "tools/list":
            let tools = gateway.tools.map { tool -> Value in
                [
                    "name": .string(tool.rawValue), "description": .string(tool.summary),
                    "inputSchema": tool.inputSchema,
                    "annotations": ["readOnlyHint": .bool(tool.readsOnly)],
                ]
            }
            return ["tools": .array(tools)]
        case "tools/call":
            guard case .string(let name)? = params["name"] else {
                throw Failure(code: -32602, message: "tools/call needs the tool's 'name'")
            }
            var arguments = ValueObject()
            if let given = params["arguments"] {
                guard case .object(let object) = given else {
                    throw Failure(code: -32602, message: "'arguments' must be an object")
                }
                arguments = object
            }
            let outcome = try await gateway.call(name, arguments: arguments)
            var result: ValueObject = [
                "content": [["type": "text", "text": .string(outcome.content.json)]],
                "isError": .bool(outcome.isError),
            ]
            if (protocolVersion ?? "") >= "2025-06-18", case .object = outcome.content {
                result["structuredContent"] = outcome.content
            }
            return .object(result)
        case "resources/list":
            let cursor = params["cursor"]?.stringValue
            let (page, next) = try await refusing { try await gateway.listResources(after: cursor) }
            var result: ValueObject = [
                "resources": .array(
                    page.map { uri, name in
                        [
                            "uri": .string(uri), "name": .string(name),
                            "mimeType": "application/json",
                        ]
                    })
            ]
            if let next {
                result["nextCursor"] = .string(next)
            }
            return .object(result)
        case "resources/templates/list":
            return [
                "resourceTemplates": [
                    [
                        "uriTemplate": "syncledger://record/{connection}:{type}/{id}",
                        "name": "record", "mimeType": "application/json",
                        "description": "A record the ledger holds, with its counterparts.",
                    ]
                ]
            ]
        case "resources/read":
            guard case .string(let uri)? = params["uri"] else {
                throw Failure(code: -32602, message: "resources/read needs the resource's 'uri'")
            }
            let text = try await refusing { try await gateway.readResource(uri) }
            return [
                "contents": [
                    ["uri": .string(uri), "mimeType": "application/json", "text": .string(text)]
                ]
            ]
        default:
            throw Failure(code: -32601, message: "no method \(method)")
        }
    }

    /// Agrees a revision: the client's when it is one spoken here, else the newest.
    private func initialize(_ params: ValueObject) -> Value {
        let asked = params["protocolVersion"]?.stringValue
        let agreed = asked.flatMap { Self.protocolVersions.contains($0) ? $0 : nil }
        protocolVersion = agreed ?? Self.protocolVersions[0]
        return [
            "protocolVersion": .string(protocolVersion!),
            "capabilities": [
                "tools": ["listChanged": false],
                "resources": ["listChanged": false, "subscribe": false],
            ],
            "serverInfo": ["name": "syncledger", "version": .string(version)],
            "instructions": .string(
                "SyncLedger keeps records of several systems in step. You act as "
                    + "\(gateway.principal); every call is checked by policy and recorded. "
                    + "Changes you propose are written by the sync, not at once."),
        ]
    }

    /// Runs a resource call, turning its refusals into protocol errors.
    private func refusing<Result>(_ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch ResourceError.notFound(let uri) {
            throw Failure(code: -32002, message: "resource not found", data: ["uri": .string(uri)])
        } catch ResourceError.refused(let decision) {
            throw Failure(
                code: -32001, message: "denied: \(decision.reason)",
                data: ["rule": .string(decision.rule), "reason": .string(decision.reason)])
        }
    }

    private struct Failure: Error {
        var code: Int64
        var message: String
        var data: Value? = nil
    }

    private static func isValidID(_ id: Value) -> Bool {
        switch id {
        case .string, .integer: true
        default: false
        }
    }

    private static func error(id: Value, code: Int64, _ message: String, data: Value? = nil)
        -> Value
    {
        var error: ValueObject = ["code": .integer(code), "message": .string(message)]
        if let data {
            error["data"] = data
        }
        return ["jsonrpc": "2.0", "id": id, "error": .object(error)]
    }
}
