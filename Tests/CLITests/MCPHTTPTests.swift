import Foundation
import Ledger
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `syncledger mcp --http`: the Streamable HTTP transport over loopback.
@Suite("MCP over HTTP")
struct MCPHTTPTests {
    /// POSTs (or sends `method`) `body` to `url` with `headers`; the status, the session
    /// header and the JSON answer, if any.
    static func send(
        _ url: String, _ body: String?, method: String = "POST", headers: [String: String] = [:]
    ) async throws -> (status: Int, session: String?, answer: Value?) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("application/json, text/event-stream", forHTTPHeaderField: "Accept")
        for (name, value) in headers {
            request.setValue(value, forHTTPHeaderField: name)
        }
        request.httpBody = body.map { Data($0.utf8) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        let isJSON = http.value(forHTTPHeaderField: "Content-Type")?.hasPrefix("application/json")
        // Spelt out: `nil` beside a `Value` would be read as the JSON null.
        var answer: Value? = Optional.none
        if isJSON == true {
            answer = try Value(jsonBytes: Array(data))
        }
        return (http.statusCode, http.value(forHTTPHeaderField: "Mcp-Session-Id"), answer)
    }

    @Test("initialize opens a session that later requests name, and DELETE ends it")
    func sessions() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let paths = try MCPCommandTests.ledger(directory)
        let server = try RunningProgram.syncledger([
            "mcp", "--principal", "alice", "--http", "0", "--config", paths.policy,
            "--ledger", paths.ledger,
        ])
        defer {
            server.send(SIGTERM)
            _ = server.waitForExit(timeout: 30)
        }
        let line = try #require(server.waitForLines(1, timeout: 60).first, "\(server)")
        let url = try #require(line.split(separator: " ").last.map(String.init))
        #expect(url.hasPrefix("http://127.0.0.1:") && url.hasSuffix("/mcp"))

        let opened = try await Self.send(
            url,
            #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"tests","version":"1"}}}"#
        )
        #expect(opened.status == 200)
        #expect(opened.answer?["result"]?["protocolVersion"] == "2025-06-18")
        let session = try #require(opened.session)
        let headers = ["Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-06-18"]

        let notified = try await Self.send(
            url, #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#, headers: headers)
        #expect(notified.status == 202)
        #expect(notified.answer == Optional.none)
        let record = try await Self.send(
            url,
            #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_record","arguments":{"record":"zendesk:ticket/1"}}}"#,
            headers: headers)
        #expect(record.status == 200)
        let fields = record.answer?["result"]?["structuredContent"]?["fields"]
        #expect(fields?["subject"]?["value"] == "Printer jams")
        #expect(fields?["requester_id"] == nil)

        let anonymous = try await Self.send(url, #"{"jsonrpc":"2.0","id":3,"method":"ping"}"#)
        #expect(anonymous.status == 400)
        let stranger = try await Self.send(
            url, #"{"jsonrpc":"2.0","id":3,"method":"ping"}"#, headers: ["Mcp-Session-Id": "nope"])
        #expect(stranger.status == 404)
        let foreign = try await Self.send(
            url, #"{"jsonrpc":"2.0","id":3,"method":"ping"}"#,
            headers: ["Mcp-Session-Id": session, "Origin": "https://attacker.example"])
        #expect(foreign.status == 403)
        #expect(try await Self.send(url, nil, method: "GET").status == 405)

        #expect(try await Self.send(url, nil, method: "DELETE", headers: headers).status == 204)
        let ended = try await Self.send(
            url, #"{"jsonrpc":"2.0","id":4,"method":"ping"}"#, headers: headers)
        #expect(ended.status == 404)

        // The call made over HTTP is in the log like any other.
        let log = try SyncLedgerCLI.logJSON(directory.ledger, ["--kind", "agentActed"])
        #expect(log.lines.count == 1, "\(log)")
    }
}
