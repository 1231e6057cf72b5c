import Foundation
import Ledger

/// `syncledger mcp` in a process of its own, spoken to as an MCP client does: one JSON-RPC
/// message a line on its standard input, one answer a line on its standard output.
final class MCPClient {
    let program: RunningProgram
    private var nextID = 0
    private var answered = 0

    /// Starts `syncledger mcp` with `arguments`.
    init(_ arguments: [String]) throws {
        program = try RunningProgram.syncledger(["mcp"] + arguments, keepInputOpen: true)
    }

    deinit {
        program.closeInput()
        _ = program.waitForExit(timeout: 30)
    }

    /// Sends `line` as it is and returns the answer, parsed; `nil` when none comes in time.
    func send(raw line: String, expectAnswer: Bool = true) throws -> Value? {
        program.write(line + "\n")
        guard expectAnswer else {
            return nil
        }
        answered += 1
        let lines = program.waitForLines(answered, timeout: 60)
        guard lines.count >= answered else {
            throw HarnessError("mcp answered \(lines.count) of \(answered) messages: \(lines)")
        }
        return try Value(json: lines[answered - 1])
    }

    /// Sends the request `method` with `params` and returns the whole answer.
    func request(_ method: String, _ params: Value? = nil) throws -> Value {
        nextID += 1
        var message: ValueObject = [
            "jsonrpc": "2.0", "id": .integer(Int64(nextID)), "method": .string(method),
        ]
        if let params {
            message["params"] = params
        }
        guard let answer = try send(raw: Value.object(message).json) else {
            throw HarnessError("no answer to \(method)")
        }
        guard answer["id"] == .integer(Int64(nextID)) else {
            throw HarnessError("the answer to \(method) has another id: \(answer.json)")
        }
        return answer
    }

    /// Initializes the session, asking for `version`; returns the result.
    @discardableResult
    func initialize(_ version: String = "2025-06-18") throws -> Value {
        let answer = try request(
            "initialize",
            [
                "protocolVersion": .string(version), "capabilities": [:],
                "clientInfo": ["name": "tests", "version": "1"],
            ])
        _ = try send(
            raw: #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#, expectAnswer: false)
        return answer["result"] ?? .null
    }

    /// Calls `tool` and returns its result (`content`, `structuredContent`, `isError`).
    func call(_ tool: String, _ arguments: Value) throws -> Value {
        let answer = try request("tools/call", ["name": .string(tool), "arguments": arguments])
        guard let result = answer["result"] else {
            throw HarnessError("tools/call \(tool) failed: \(answer.json)")
        }
        return result
    }
}
