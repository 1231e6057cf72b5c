import Foundation
import Ledger

/// One page of a listing: its records, and how to ask for the next one.
public struct Page: Sendable {
    /// The records on the page, as the provider returned them.
    public var items: [Value]
    /// The request for the next page; `nil` on the last.
    public var next: ConnectorRequest?
    /// For an incremental export, the cursor to keep for the next poll.
    public var cursor: String?
}

/// How a provider pages a listing: each strategy reads one answer into a ``Page``.
public enum Pagination: Sendable {
    /// Zendesk's cursor pagination: `meta.has_more` and `links.next`.
    case cursor(items: String)
    /// Zendesk's incremental export: `after_url` until `end_of_stream`, keeping `after_cursor`.
    case incrementalExport(items: String)
    /// Jira's token pagination: `nextPageToken` until `isLast`, sent back as a query argument
    /// (or in the body, for a `POST` search).
    case pageToken(items: String)
    /// RFC 8288 `Link` headers with `rel="next"` (GitHub); the body is the array of records.
    case linkHeader

    /// Reads `response` to `request` into a page. Throws ``PaginationError`` for an answer
    /// that does not have the strategy's shape.
    public func page(of response: ConnectorResponse, to request: ConnectorRequest)
        throws(PaginationError) -> Page
    {
        let body: Value
        do {
            body = try Value(jsonBytes: response.body)
        } catch {
            throw PaginationError(
                "the page at \(Redaction.describe(request)) is not JSON: \(error)")
        }
        func items(_ name: String) throws(PaginationError) -> [Value] {
            guard case .array(let items)? = body[name] else {
                throw PaginationError(
                    "the page at \(Redaction.describe(request)) has no '\(name)' array")
            }
            return items
        }
        switch self {
        case .cursor(let name):
            let more = body["meta"]?["has_more"] == true
            let next = more ? body["links"]?["next"]?.stringValue : nil
            return Page(items: try items(name), next: next.map { request.with(url: $0) })
        case .incrementalExport(let name):
            let finished = body["end_of_stream"] == true
            let next = finished ? nil : body["after_url"]?.stringValue
            return Page(
                items: try items(name), next: next.map { request.with(url: $0) },
                cursor: body["after_cursor"]?.stringValue)
        case .pageToken(let name):
            let last = body["isLast"] == true
            guard !last, let token = body["nextPageToken"]?.stringValue else {
                return Page(items: try items(name), next: nil)
            }
            return Page(items: try items(name), next: request.withPageToken(token))
        case .linkHeader:
            guard case .array(let records) = body else {
                throw PaginationError(
                    "the page at \(Redaction.describe(request)) is not a JSON array")
            }
            let next = response.header("Link").flatMap { Self.nextLink(in: $0) }
            return Page(items: records, next: next.map { request.with(url: $0) })
        }
    }

    /// The target of the `rel="next"` link in an RFC 8288 `Link` header.
    static func nextLink(in header: String) -> String? {
        for link in header.split(separator: ",") {
            let parts = link.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let target = parts.first, target.hasPrefix("<"), target.hasSuffix(">") else {
                continue
            }
            let isNext = parts.dropFirst().contains { parameter in
                let pair = parameter.split(separator: "=", maxSplits: 1)
                return pair.count == 2 && pair[0] == "rel"
                    && pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                        .split(separator: " ").contains("next")
            }
            if isNext {
                return String(target.dropFirst().dropLast())
            }
        }
        return nil
    }
}

/// An answer that does not have the shape of the listing's pages.
public struct PaginationError: Error, Sendable, CustomStringConvertible {
    /// What is wrong, naming the page.
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}

extension ConnectorClient {
    /// Every page of a listing from `first` on, fetched one after another through the
    /// client (so paced and retried), until the strategy finds no next page.
    public func pages(from first: ConnectorRequest, _ pagination: Pagination, share: Double = 1)
        -> AsyncThrowingStream<Page, any Error>
    {
        AsyncThrowingStream { continuation in
            let task = Task {
                var request: ConnectorRequest? = first
                do {
                    while let current = request {
                        let response = try await send(current, share: share)
                        guard (200..<300).contains(response.status) else {
                            // A refusal, not a page of the wrong shape: the caller can tell a
                            // refused credential (401) from the status.
                            throw ConnectorError(
                                request: Redaction.describe(current), attempts: 1,
                                lastStatus: response.status,
                                detail: Redaction.redact(
                                    String(decoding: response.body.prefix(300), as: UTF8.self)))
                        }
                        let page = try pagination.page(of: response, to: current)
                        continuation.yield(page)
                        request = page.next
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

extension ConnectorRequest {
    /// The same request sent to `url` (a provider's next-page link).
    func with(url: String) -> ConnectorRequest {
        var copy = self
        copy.url = url
        return copy
    }

    /// The same request asking for the page `token` names: as `nextPageToken` in the body of
    /// a `POST`, or in the query otherwise.
    func withPageToken(_ token: String) -> ConnectorRequest {
        var copy = self
        if method == "POST", let body, case .object(var object)? = try? Value(jsonBytes: body) {
            object["nextPageToken"] = .string(token)
            copy.body = Array(Value.object(object).json.utf8)
            return copy
        }
        guard var components = URLComponents(string: url) else {
            return copy
        }
        var items = components.queryItems ?? []
        items.removeAll { $0.name == "nextPageToken" }
        items.append(URLQueryItem(name: "nextPageToken", value: token))
        components.queryItems = items
        copy.url = components.string ?? url
        return copy
    }
}
