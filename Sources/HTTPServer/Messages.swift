/// An HTTP method.
public struct HTTPMethod: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The method as it appears on the request line, such as `GET`.
    public let rawValue: String

    /// Wraps a method name; names are case-sensitive, as HTTP has them.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// `GET`.
    public static let get = HTTPMethod(rawValue: "GET")
    /// `HEAD`.
    public static let head = HTTPMethod(rawValue: "HEAD")
    /// `POST`.
    public static let post = HTTPMethod(rawValue: "POST")
    /// `PUT`.
    public static let put = HTTPMethod(rawValue: "PUT")
    /// `PATCH`.
    public static let patch = HTTPMethod(rawValue: "PATCH")
    /// `DELETE`.
    public static let delete = HTTPMethod(rawValue: "DELETE")
    /// `OPTIONS`.
    public static let options = HTTPMethod(rawValue: "OPTIONS")

    /// The method's name.
    public var description: String { rawValue }
}

/// Header fields, in the order they came or were added; names compare without case.
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    /// Each field as its name (as written) and value.
    public private(set) var fields: [(name: String, value: String)] = []

    /// No fields.
    public init() {}

    /// Fields from a literal, in its order.
    public init(dictionaryLiteral elements: (String, String)...) {
        fields = elements.map { (name: $0.0, value: $0.1) }
    }

    /// The first value of the field `name`, ignoring case; `nil` when there is none.
    public subscript(name: String) -> String? {
        fields.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// Every value of the field `name`, in order.
    public func values(_ name: String) -> [String] {
        fields.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    /// Adds a field, keeping any already there under that name.
    public mutating func add(_ name: String, _ value: String) {
        fields.append((name, value))
    }

    /// Sets the field `name` to `value` alone, replacing any there.
    public mutating func set(_ name: String, _ value: String) {
        fields.removeAll { $0.name.lowercased() == name.lowercased() }
        fields.append((name, value))
    }

    /// Iterates the fields in order.
    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }
}

/// A request as the server received it, body complete.
public struct HTTPRequest: Sendable {
    /// The method.
    public var method: HTTPMethod
    /// The path, without the query, percent-decoded as the server saw it (`/api/v2/tickets`).
    public var path: String
    /// The query arguments in the order given, percent-decoded; a key may repeat.
    public var query: [(name: String, value: String)]
    /// The header fields.
    public var headers: HTTPHeaders
    /// The body's bytes.
    public var body: [UInt8]
    /// The values of the route's `{name}` placeholders, filled in by the router.
    public var parameters: [String: String] = [:]

    /// Creates a request; the server does this, and tests may.
    public init(
        method: HTTPMethod, path: String, query: [(name: String, value: String)] = [],
        headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// The first value of the query argument `name`.
    public func query(_ name: String) -> String? {
        query.first { $0.name == name }?.value
    }

    /// The body as UTF-8 text, with invalid bytes replaced.
    public var text: String {
        String(decoding: body, as: UTF8.self)
    }
}

/// A response to send.
public struct HTTPResponse: Sendable {
    /// The status code.
    public var status: Int
    /// The header fields; the server adds `Content-Length` or chunked encoding itself.
    public var headers: HTTPHeaders
    /// What follows the headers.
    public var body: Body

    /// A response's content.
    public enum Body: Sendable {
        /// Bytes sent as they are, with their length.
        case bytes([UInt8])
        /// Chunks produced while sending, with chunked encoding: for large or unbounded
        /// content. The producer is called on the server's thread until it returns `nil`.
        case stream(@Sendable () -> [UInt8]?)
    }

    /// Creates a response.
    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: Body = .bytes([])) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response with `text` as its body, `text/plain` unless `contentType` says otherwise.
    public static func text(
        _ text: String, status: Int = 200, contentType: String = "text/plain; charset=utf-8"
    ) -> HTTPResponse {
        HTTPResponse(
            status: status, headers: ["Content-Type": contentType], body: .bytes(Array(text.utf8)))
    }

    /// A response with a JSON document as its body.
    public static func json(_ text: String, status: Int = 200) -> HTTPResponse {
        .text(text, status: status, contentType: "application/json; charset=utf-8")
    }

    /// The bytes of a ``Body/bytes(_:)`` body; empty for a stream.
    public var bodyBytes: [UInt8] {
        if case .bytes(let bytes) = body {
            return bytes
        }
        return []
    }
}
