import Foundation
import HTTPServer
import Synchronization
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real server on an ephemeral loopback port, spoken to by URLSession.
@Suite("HTTP server")
struct HTTPServerTests {
    /// Sends `method path` with `body` and `headers`; returns the status, headers and body.
    func send(
        _ server: HTTPServer, _ method: String, _ path: String, body: Data? = nil,
        headers: [String: String] = [:]
    ) async throws -> (status: Int, headers: [String: String], body: String) {
        var request = URLRequest(url: URL(string: server.baseURL + path)!)
        request.httpMethod = method
        request.httpBody = body
        for (name, value) in headers {
            request.setValue(value, forHTTPHeaderField: name)
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            fields[String(describing: name).lowercased()] = String(describing: value)
        }
        return (http.statusCode, fields, String(decoding: data, as: UTF8.self))
    }

    func ticketRouter() -> Router {
        var router = Router()
        router.add(.get, "/api/v2/tickets/{id}.json") { request in
            .json(#"{"ticket":{"id":\#(request.parameters["id"]!)}}"#)
        }
        router.add(.post, "/api/v2/tickets.json") { request in
            var response = HTTPResponse.json(request.text, status: 201)
            response.headers.set("Location", "/api/v2/tickets/1.json")
            return response
        }
        router.add(.get, "/echo") { request in
            let query = request.query.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
            return .text(
                "\(query)|\(request.headers["x-trace-id"] ?? "none")|\(request.headers["X-TRACE-ID"] ?? "none")"
            )
        }
        router.add(.get, "/files/*") { request in .text(request.parameters["*"] ?? "") }
        return router
    }

    @Test func routesByMethodAndPatternWithPlaceholders() async throws {
        let server = try HTTPServer(router: ticketRouter())
        defer { server.stop() }
        #expect(server.port > 0)
        #expect(server.baseURL == "http://127.0.0.1:\(server.port)")

        let show = try await send(server, "GET", "/api/v2/tickets/42.json")
        #expect(show.status == 200)
        #expect(show.body == #"{"ticket":{"id":42}}"#)
        #expect(show.headers["content-type"] == "application/json; charset=utf-8")

        let create = try await send(
            server, "POST", "/api/v2/tickets.json", body: Data(#"{"ticket":{}}"#.utf8))
        #expect(create.status == 201)
        #expect(create.body == #"{"ticket":{}}"#)
        #expect(create.headers["location"] == "/api/v2/tickets/1.json")

        let rest = try await send(server, "GET", "/files/a/b/c.txt")
        #expect(rest.body == "a/b/c.txt")
    }

    @Test func answers404And405WithAllow() async throws {
        let server = try HTTPServer(router: ticketRouter())
        defer { server.stop() }
        let missing = try await send(server, "GET", "/api/v2/users.json")
        #expect(missing.status == 404)
        #expect(missing.body.contains("/api/v2/users.json"))

        let wrongMethod = try await send(server, "DELETE", "/api/v2/tickets.json")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.headers["allow"] == "POST")

        let noSuffix = try await send(server, "GET", "/api/v2/tickets/42")
        #expect(noSuffix.status == 404, "a placeholder's literal suffix must match")
    }

    @Test func readsQueryArgumentsDecodedAndHeadersWithoutCase() async throws {
        let server = try HTTPServer(router: ticketRouter())
        defer { server.stop() }
        let answer = try rawExchange(
            port: server.port,
            "GET /echo?page%5Bsize%5D=2&page[after]=a%20b&tag=x&tag=y&plus=a+b HTTP/1.1\r\n"
                + "Host: 127.0.0.1\r\nX-Trace-Id: t-1\r\nConnection: close\r\n\r\n")
        #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer)")
        #expect(
            answer.hasSuffix("page[size]=2&page[after]=a b&tag=x&tag=y&plus=a b|t-1|t-1"),
            "\(answer)")
    }

    @Test func aBodyOverTheLimitIsAnswered413WithoutReachingTheHandler() async throws {
        let reached = Atomic<Int>(0)
        var configuration = HTTPServer.Configuration()
        configuration.maximumBodyBytes = 1_000
        let server = try HTTPServer(configuration: configuration) { request in
            reached.add(1, ordering: .relaxed)
            return .text("\(request.body.count)")
        }
        defer { server.stop() }

        let fits = try await send(server, "POST", "/", body: Data(repeating: 65, count: 1_000))
        #expect(fits.status == 200)
        #expect(fits.body == "1000")
        let tooLarge = try await send(
            server, "POST", "/", body: Data(repeating: 65, count: 200_000))
        #expect(tooLarge.status == 413)
        #expect(tooLarge.body.contains("1000 bytes"))
        #expect(reached.load(ordering: .relaxed) == 1)
    }

    @Test func streamsALargeResponseInChunks() async throws {
        let chunks = Mutex(0)
        let server = try HTTPServer { _ in
            HTTPResponse(
                status: 200, headers: ["Content-Type": "text/plain"],
                body: .stream({
                    chunks.withLock { count in
                        guard count < 100 else { return nil }
                        count += 1
                        return Array(String(repeating: "\(count % 10)", count: 10_000).utf8)
                    }
                }))
        }
        defer { server.stop() }
        let streamed = try await send(server, "GET", "/big")
        #expect(streamed.status == 200)
        #expect(streamed.body.utf8.count == 1_000_000)
        #expect(streamed.body.hasPrefix("1111"))
        #expect(streamed.body.hasSuffix("0000"))
    }

    @Test func answersManyConcurrentClients() async throws {
        let server = try HTTPServer(router: ticketRouter())
        defer { server.stop() }
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<64 {
                group.addTask {
                    try await send(server, "GET", "/api/v2/tickets/\(index).json").status
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.count == 64)
        #expect(statuses.allSatisfy { $0 == 200 })
    }

    @Test func stoppingLetsARequestInProgressFinishAndRefusesNewOnes() async throws {
        // The handler holds its request until the test lets it go, so the request is surely
        // in progress while the server stops, however slowly the machine runs.
        let entered = Atomic<Bool>(false)
        let release = DispatchSemaphore(value: 0)
        let server = try HTTPServer { _ in
            entered.store(true, ordering: .releasing)
            _ = release.wait(timeout: .now() + 30)
            return .text("finished")
        }
        let inFlight = Task { try await send(server, "GET", "/slow") }
        while !entered.load(ordering: .acquiring) {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(server.requestsInProgress == 1)
        let stopping = Thread.detachedStop(server)
        // Stopping waits for the request; let it finish only once the stop has begun.
        try await Task.sleep(for: .milliseconds(50))
        #expect(!stopping.isFinished)
        release.signal()

        let answer = try await inFlight.value
        #expect(answer.status == 200)
        #expect(answer.body == "finished")
        await stopping.wait()
        await #expect(throws: (any Error).self) {
            _ = try await send(server, "GET", "/slow")
        }
        server.stop()  // a second stop does nothing
    }

    @Test func aPortInUseOrANonLocalAddressIsAClearError() throws {
        let first = try HTTPServer(router: Router())
        defer { first.stop() }
        var taken = HTTPServer.Configuration()
        taken.port = first.port
        let inUse = #expect(throws: HTTPServerError.self) {
            try HTTPServer(configuration: taken, router: Router())
        }
        #expect(inUse?.message.contains("cannot listen on 127.0.0.1:\(first.port)") == true)

        var named = HTTPServer.Configuration()
        named.host = "localhost"
        let notAnAddress = #expect(throws: HTTPServerError.self) {
            try HTTPServer(configuration: named, router: Router())
        }
        #expect(notAnAddress?.message.contains("not an IPv4 address") == true)
    }

    @Test func headRequestsGetTheGetRouteWithoutABody() async throws {
        let server = try HTTPServer(router: ticketRouter())
        defer { server.stop() }
        let head = try await send(server, "HEAD", "/api/v2/tickets/7.json")
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
    }
}

/// A stop running on a thread of its own, since it waits for requests in progress.
final class StopInProgress: Sendable {
    private let done = Atomic<Bool>(false)

    init(_ server: HTTPServer) {
        Thread.detachNewThread { [self] in
            server.stop(timeout: .seconds(30))
            done.store(true, ordering: .releasing)
        }
    }

    var isFinished: Bool { done.load(ordering: .acquiring) }

    func wait() async {
        while !isFinished {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }
}

extension Thread {
    /// Starts `server.stop()` on a new thread.
    static func detachedStop(_ server: HTTPServer) -> StopInProgress {
        StopInProgress(server)
    }
}
