import Dispatch
import Foundation
import HTTPServer
import Ledger
import Synchronization

/// Carries MCP sessions over the protocol's Streamable HTTP transport, on loopback: `POST /mcp`
/// takes one JSON-RPC message (or a batch) and answers it as JSON; `initialize` opens a session
/// whose id comes back in `Mcp-Session-Id` and goes with every later request; `DELETE /mcp`
/// ends it. The server offers no event stream of its own, so `GET /mcp` answers 405.
///
/// Every session speaks as the gateway's one principal, as the stdio server does: the listener
/// is bound to 127.0.0.1 and refuses requests whose `Origin` is not local.
public final class MCPHTTPServer: Sendable {
    private let server: HTTPServer
    private let sessions = SessionTable()

    /// The endpoint's URL, such as `http://127.0.0.1:8123/mcp`.
    public var url: String { server.baseURL + "/mcp" }

    /// Starts serving `gateway` on 127.0.0.1:`port` (0 for any free port).
    public init(gateway: AgentGateway, version: String, port: UInt16 = 0) throws {
        let sessions = self.sessions
        var configuration = HTTPServer.Configuration()
        configuration.port = port
        var router = Router()
        router.add(.post, "/mcp") { request in
            Self.post(request, sessions: sessions, gateway: gateway, version: version)
        }
        router.add(.delete, "/mcp") { request in
            guard let id = request.headers["mcp-session-id"] else {
                return Self.failure(400, "DELETE names no Mcp-Session-Id")
            }
            let removed = sessions.table.withLock { $0.removeValue(forKey: id) }
            return removed == nil
                ? Self.failure(404, "no session \(id)") : HTTPResponse(status: 204)
        }
        router.add(.get, "/mcp") { _ in
            var response = HTTPResponse.text("this server opens no event stream\n", status: 405)
            response.headers.set("Allow", "POST, DELETE")
            return response
        }
        server = try HTTPServer(configuration: configuration, router: router)
    }

    /// Stops serving; sessions end with it.
    public func stop() {
        server.stop()
    }

    private static func post(
        _ request: HTTPRequest, sessions: SessionTable, gateway: AgentGateway,
        version: String
    ) -> HTTPResponse {
        if let origin = request.headers["origin"], !isLocal(origin) {
            return failure(403, "requests from \(origin) are not served")
        }
        guard let text = String(validating: request.body, as: UTF8.self) else {
            return failure(400, "the body is not UTF-8")
        }
        if let asked = request.headers["mcp-protocol-version"],
            !MCPSession.protocolVersions.contains(asked)
        {
            return failure(400, "protocol version \(asked) is not spoken here")
        }
        let opening = (try? Value(json: text))?["method"] == "initialize"
        let id: String
        let session: MCPSession
        if opening {
            id = EventID.generate().description
            session = MCPSession(gateway: gateway, version: version)
            sessions.table.withLock { $0[id] = session }
        } else {
            guard let given = request.headers["mcp-session-id"] else {
                return failure(400, "no Mcp-Session-Id: send initialize first")
            }
            guard let known = sessions.table.withLock({ $0[given] }) else {
                return failure(404, "no session \(given); initialize a new one")
            }
            (id, session) = (given, known)
        }
        guard let answer = wait({ await session.handle(text) }) else {
            return HTTPResponse(status: 202)
        }
        var response = HTTPResponse.json(answer)
        response.headers.set("Mcp-Session-Id", id)
        return response
    }

    /// The open sessions by id, shared by the server's threads.
    final class SessionTable: Sendable {
        let table = Mutex<[String: MCPSession]>([:])
    }

    /// Runs `body` to its end on the cooperative pool while this server thread waits.
    private static func wait(_ body: @escaping @Sendable () async -> String?) -> String? {
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<String?>(nil)
        Task {
            let value = await body()
            result.withLock { $0 = value }
            done.signal()
        }
        done.wait()
        return result.withLock { $0 }
    }

    private static func isLocal(_ origin: String) -> Bool {
        guard let host = URL(string: origin)?.host else {
            return false
        }
        return ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host)
    }

    /// A JSON-RPC error without an id, for a request refused before it was read.
    private static func failure(_ status: Int, _ message: String) -> HTTPResponse {
        let body: Value = [
            "jsonrpc": "2.0", "id": .null,
            "error": ["code": -32600, "message": .string(message)],
        ]
        return .json(body.json, status: status)
    }
}
