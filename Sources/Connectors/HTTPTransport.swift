import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A request a connector makes.
public struct ConnectorRequest: Sendable {
    /// `GET`, `POST`, `PUT`, `DELETE`.
    public var method: String
    /// The full URL.
    public var url: String
    /// Header fields, in order.
    public var headers: [(name: String, value: String)]
    /// The body, if any.
    public var body: [UInt8]?
    /// Whether sending it twice does no more than sending it once: reads, PUTs of absolute
    /// values, and writes carrying an idempotency key. Only these are retried.
    public var isIdempotent: Bool

    /// Creates a request; `isIdempotent` defaults to true for `GET`, `HEAD`, `PUT` and
    /// `DELETE`, and for any request with an `Idempotency-Key` header.
    public init(
        method: String, url: String, headers: [(name: String, value: String)] = [],
        body: [UInt8]? = nil, isIdempotent: Bool? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.isIdempotent =
            isIdempotent
            ?? (["GET", "HEAD", "PUT", "DELETE"].contains(method)
                || headers.contains { $0.name.lowercased() == "idempotency-key" })
    }
}

/// An answer to a connector's request.
public struct ConnectorResponse: Sendable {
    /// The status code.
    public var status: Int
    /// Header fields, names lower-cased.
    public var headers: [String: String]
    /// The body.
    public var body: [UInt8]

    /// Creates a response.
    public init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The header `name` (any case).
    public func header(_ name: String) -> String? {
        headers[name.lowercased()]
    }
}

/// Sends requests and returns answers: the network, or anything standing in for it.
public protocol HTTPTransport: Sendable {
    /// Sends `request`; throws for a failure to get an answer at all (refused, timed out).
    func send(_ request: ConnectorRequest) async throws -> ConnectorResponse
}

/// The network, through URLSession: connections are reused across requests, and each request
/// has a timeout.
public final class URLSessionTransport: HTTPTransport {
    private let session: URLSession
    private let timeout: TimeInterval

    /// A transport whose requests time out after `timeout` seconds.
    public init(timeout: TimeInterval = 30) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 8
        configuration.timeoutIntervalForRequest = timeout
        configuration.httpShouldSetCookies = false
        configuration.urlCache = nil
        session = URLSession(configuration: configuration)
        self.timeout = timeout
    }

    /// Sends `request` and reads the whole answer.
    public func send(_ request: ConnectorRequest) async throws -> ConnectorResponse {
        guard let url = URL(string: request.url) else {
            throw URLError(.badURL)
        }
        var outgoing = URLRequest(url: url, timeoutInterval: timeout)
        outgoing.httpMethod = request.method
        outgoing.httpBody = request.body.map { Data($0) }
        for (name, value) in request.headers {
            outgoing.setValue(value, forHTTPHeaderField: name)
        }
        let (data, response) = try await session.data(for: outgoing)
        guard let http = response as? HTTPURLResponse else {
            throw URLError(.badServerResponse)
        }
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            headers[String(describing: name).lowercased()] = String(describing: value)
        }
        return ConnectorResponse(status: http.statusCode, headers: headers, body: Array(data))
    }
}
