import Foundation
import HTTPServer
import Ledger
import Sandbox
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A Zendesk emulator served on a loopback port, and a client speaking to it over HTTP.
final class ZendeskSandbox {
    let clock: ManualSandboxClock
    let emulator: ZendeskEmulator
    let server: HTTPServer
    let authorization: String

    static let start = Timestamp(secondsSinceEpoch: 1_796_000_000)

    init(_ adjust: (inout ZendeskEmulator.Configuration) -> Void = { _ in }) throws {
        clock = ManualSandboxClock(at: Self.start)
        var configuration = ZendeskEmulator.Configuration()
        configuration.clock = clock
        adjust(&configuration)
        emulator = ZendeskEmulator(configuration: configuration)
        server = try HTTPServer(router: emulator.router)
        authorization =
            "Basic "
            + Data("\(configuration.email)/token:\(configuration.apiToken)".utf8)
            .base64EncodedString()
    }

    deinit {
        server.stop()
    }

    struct Answer {
        var status: Int
        var headers: [String: String]
        var body: Value
    }

    /// Sends a request with the API token (or `authorization`), and reads the JSON answer.
    func send(
        _ method: String, _ path: String, json: String? = nil, headers: [String: String] = [:],
        authorization: String? = nil, body: String? = nil
    ) async throws -> Answer {
        let url = path.hasPrefix("http") ? path : server.baseURL + path
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.setValue(authorization ?? self.authorization, forHTTPHeaderField: "Authorization")
        if let json {
            request.httpBody = Data(json.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let body {
            request.httpBody = Data(body.utf8)
        }
        for (name, value) in headers {
            request.setValue(value, forHTTPHeaderField: name)
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            fields[String(describing: name).lowercased()] = String(describing: value)
        }
        let body = data.isEmpty ? Value.null : try Value(jsonBytes: Array(data))
        return Answer(status: http.statusCode, headers: fields, body: body)
    }
}

/// A session that hands redirects back instead of following them, to read `Location`.
final class NoRedirects: NSObject, URLSessionTaskDelegate, Sendable {
    static let session = URLSession(
        configuration: .ephemeral, delegate: NoRedirects(), delegateQueue: nil)

    func urlSession(
        _ session: URLSession, task: URLSessionTask,
        willPerformHTTPRedirection response: HTTPURLResponse, newRequest request: URLRequest,
        completionHandler: @escaping (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}

extension ZendeskSandbox {
    /// GETs `path` without following a redirect; returns the status and `Location`.
    func location(_ path: String) async throws -> (status: Int, location: String?, body: String) {
        let (data, response) = try await NoRedirects.session.data(
            for: URLRequest(url: URL(string: server.baseURL + path)!))
        let http = try #require(response as? HTTPURLResponse)
        return (
            http.statusCode, http.value(forHTTPHeaderField: "Location"),
            String(decoding: data, as: UTF8.self)
        )
    }

    /// POSTs a form to the token endpoint.
    func token(_ fields: [String: String]) async throws -> Answer {
        let body = fields.sorted { $0.key < $1.key }.map { name, value in
            "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value)"
        }.joined(separator: "&")
        return try await send(
            "POST", "/oauth/tokens", json: nil,
            headers: ["Content-Type": "application/x-www-form-urlencoded"], body: body)
    }
}
