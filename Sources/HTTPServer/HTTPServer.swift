import CMicroHTTPD
import Glibc
import Synchronization

/// An HTTP/1.1 server on loopback, over GNU libmicrohttpd.
///
/// The server listens as soon as it is made, answers every request with its handler on a pool
/// of threads, and stops gracefully with ``stop(timeout:)``: it stops accepting, lets requests
/// in progress finish, then closes. Bodies beyond ``Configuration/maximumBodyBytes`` are
/// answered with 413 without reaching the handler.
///
/// libmicrohttpd serialises the callbacks of each connection, and the daemon handle is taken
/// out of `daemon` atomically by the one call that stops it.
public final class HTTPServer: Sendable {
    /// How a server listens and serves.
    public struct Configuration: Sendable {
        /// The address to bind; loopback unless set otherwise. Defaults to `127.0.0.1`.
        public var host = "127.0.0.1"
        /// The port; 0 picks a free one, which ``HTTPServer/port`` then reports. Defaults to 0.
        public var port: UInt16 = 0
        /// Threads that serve connections. Defaults to 4.
        public var threads = 4
        /// The largest request body accepted; larger ones are answered 413. Defaults to 8 MiB.
        public var maximumBodyBytes = 8 << 20
        /// Seconds an idle connection is kept open. Defaults to 30.
        public var idleTimeout = 30

        /// The defaults.
        public init() {}
    }

    /// The port the server listens on.
    public let port: UInt16
    /// The address it listens on.
    public let host: String

    /// The daemon's address, or 0 once stopped.
    private let daemon = Atomic<Int>(0)
    private let state: ServerState
    private let retainedState: Unmanaged<ServerState>

    /// Starts serving `handler` as `configuration` says.
    ///
    /// Throws ``HTTPServerError`` when the address cannot be bound (in use, not local, not an
    /// IPv4 address) or libmicrohttpd does not start.
    public init(configuration: Configuration = Configuration(), handler: @escaping HTTPHandler)
        throws
    {
        let socket = try ListeningSocket(host: configuration.host, port: configuration.port)
        state = ServerState(handler: handler, maximumBodyBytes: configuration.maximumBodyBytes)
        retainedState = Unmanaged.passRetained(state)
        port = socket.port
        host = configuration.host

        let context = retainedState.toOpaque()
        var options = [
            MHD_OptionItem(
                option: .LISTEN_SOCKET, value: Int(socket.descriptor), ptr_value: nil),
            MHD_OptionItem(
                option: .THREAD_POOL_SIZE, value: max(configuration.threads, 1),
                ptr_value: nil),
            MHD_OptionItem(
                option: .CONNECTION_TIMEOUT, value: configuration.idleTimeout,
                ptr_value: nil),
            MHD_OptionItem(
                option: .NOTIFY_COMPLETED,
                value: unsafeBitCast(requestCompleted, to: Int.self), ptr_value: context),
            MHD_OptionItem(option: .END, value: 0, ptr_value: nil),
        ]
        let flags =
            MHD_USE_INTERNAL_POLLING_THREAD.rawValue | MHD_USE_EPOLL.rawValue
            | MHD_USE_ITC.rawValue
        let daemon = options.withUnsafeMutableBufferPointer { options in
            withVaList([
                MHD_OPTION.ARRAY.rawValue, options.baseAddress!,
                MHD_OPTION.END.rawValue,
            ]) { arguments in
                MHD_start_daemon_va(
                    flags, 0, nil, nil, accessHandler, context, arguments)
            }
        }
        guard let daemon else {
            socket.close()
            retainedState.release()
            throw HTTPServerError(
                "libmicrohttpd did not start on \(configuration.host):\(socket.port)")
        }
        self.daemon.store(Int(bitPattern: UnsafeRawPointer(daemon)), ordering: .releasing)
    }

    /// Starts serving `router`.
    public convenience init(configuration: Configuration = Configuration(), router: Router) throws {
        try self.init(configuration: configuration) { router.respond(to: $0) }
    }

    /// `http://host:port`, without a trailing slash.
    public var baseURL: String { "http://\(host):\(port)" }

    /// Requests being answered now.
    public var requestsInProgress: Int { state.active.load(ordering: .acquiring) }

    /// Answers every request that arrives from now on with 503, waits up to `timeout` for the
    /// requests in progress to be answered, then closes the listening socket and every
    /// connection. Calling it again does nothing.
    ///
    /// The listening socket stays open while the server drains, rather than being taken out
    /// of the workers' polling with `MHD_quiesce_daemon`: with a pool of worker threads that
    /// call races a worker removing the same socket, and libmicrohttpd aborts the process when
    /// it loses.
    public func stop(timeout: Duration = .seconds(5)) {
        let address = daemon.exchange(0, ordering: .acquiringAndReleasing)
        guard let daemon = OpaquePointer(bitPattern: address) else {
            return
        }
        state.stopping.store(true, ordering: .releasing)
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while state.active.load(ordering: .acquiring) > 0 && ContinuousClock.now < deadline {
            usleep(2_000)
        }
        MHD_stop_daemon(daemon)
        retainedState.release()
    }

    deinit {
        stop(timeout: .zero)
    }
}

/// Why a server could not start.
public struct HTTPServerError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public let message: String

    init(_ message: String) {
        self.message = message
    }

    /// The message.
    public var description: String { message }
}

// MARK: - libmicrohttpd callbacks

/// What the callbacks share: the handler, the body limit and the count of open requests.
final class ServerState: Sendable {
    let handler: HTTPHandler
    let maximumBodyBytes: Int
    let active = Atomic<Int>(0)
    /// Set when the server stops: requests that begin after it are refused.
    let stopping = Atomic<Bool>(false)

    init(handler: @escaping HTTPHandler, maximumBodyBytes: Int) {
        self.handler = handler
        self.maximumBodyBytes = maximumBodyBytes
    }
}

/// One request while its body arrives. Only the connection's own thread touches it.
final class RequestContext {
    var body: [UInt8] = []
    var isTooLarge = false
    /// Whether the request began after the server started stopping.
    var isRefused = false
}

private let accessHandler: MHD_AccessHandlerCallback = {
    context, connection, url, method, _, uploadData, uploadSize, requestSlot in
    guard let context, let connection, let uploadSize, let requestSlot else {
        return MHD_Result.NO
    }
    let server = Unmanaged<ServerState>.fromOpaque(context).takeUnretainedValue()
    guard let slot = requestSlot.pointee else {
        // The first call: headers are in, the body (if any) follows in later calls.
        let request = RequestContext()
        request.isRefused = server.stopping.load(ordering: .acquiring)
        requestSlot.pointee = Unmanaged.passRetained(request).toOpaque()
        server.active.add(1, ordering: .acquiringAndReleasing)
        return MHD_Result.YES
    }
    let request = Unmanaged<RequestContext>.fromOpaque(slot).takeUnretainedValue()
    let chunk = uploadSize.pointee
    if chunk > 0 {
        if !request.isTooLarge {
            if request.body.count + chunk > server.maximumBodyBytes {
                request.isTooLarge = true
                request.body = []
            } else if let uploadData {
                uploadData.withMemoryRebound(to: UInt8.self, capacity: chunk) {
                    request.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: chunk))
                }
            }
        }
        uploadSize.pointee = 0
        return MHD_Result.YES
    }

    var response: HTTPResponse
    if request.isRefused {
        response = .text("the server is stopping\n", status: 503)
        response.headers.set("Connection", "close")
    } else if request.isTooLarge {
        response = .text(
            "the request body is larger than the \(server.maximumBodyBytes) bytes accepted\n",
            status: 413)
    } else {
        let received = HTTPRequest(
            method: HTTPMethod(rawValue: method.map { String(cString: $0) } ?? "GET"),
            path: url.map { String(cString: $0) } ?? "/",
            query: values(of: connection, kind: MHD_ValueKind.GET_ARGUMENT_KIND),
            headers: HTTPHeaders(values(of: connection, kind: MHD_ValueKind.HEADER_KIND)),
            body: request.body)
        request.body = []
        response = server.handler(received)
    }
    return queue(response, on: connection)
}

private let requestCompleted: MHD_RequestCompletedCallback = {
    context, _, requestSlot, _ in
    guard let context, let requestSlot, let slot = requestSlot.pointee else {
        return
    }
    Unmanaged<RequestContext>.fromOpaque(slot).release()
    requestSlot.pointee = nil
    Unmanaged<ServerState>.fromOpaque(context).takeUnretainedValue().active.subtract(
        1, ordering: .acquiringAndReleasing)
}

/// The name-value pairs of `kind` (headers or query arguments) in the order received.
private func values(of connection: OpaquePointer, kind: MHD_ValueKind) -> [(
    name: String, value: String
)] {
    var collected: [(name: String, value: String)] = []
    withUnsafeMutablePointer(to: &collected) { pointer in
        _ = MHD_get_connection_values(
            connection, kind,
            { context, _, key, value in
                guard let context, let key else {
                    return MHD_Result.YES
                }
                let list = context.assumingMemoryBound(to: [(name: String, value: String)].self)
                list.pointee.append(
                    (String(cString: key), value.map { String(cString: $0) } ?? ""))
                return MHD_Result.YES
            }, pointer)
    }
    return collected
}

/// Hands `response` to libmicrohttpd.
private func queue(_ response: HTTPResponse, on connection: OpaquePointer) -> MHD_Result {
    let made: OpaquePointer?
    switch response.body {
    case .bytes(let bytes):
        made = bytes.withUnsafeBytes { buffer in
            MHD_create_response_from_buffer(
                buffer.count, UnsafeMutableRawPointer(mutating: buffer.baseAddress),
                MHD_ResponseMemoryMode.RESPMEM_MUST_COPY)
        }
    case .stream(let produce):
        let stream = Unmanaged.passRetained(ResponseStream(produce)).toOpaque()
        made = MHD_create_response_from_callback(
            UInt64.max, 32 << 10, streamReader, stream, streamFinished)
    }
    guard let made else {
        return MHD_Result.NO
    }
    defer { MHD_destroy_response(made) }
    for (name, value) in response.headers {
        _ = MHD_add_response_header(made, name, value)
    }
    return MHD_queue_response(connection, UInt32(response.status), made)
}

/// The chunks of a streamed response not yet handed to the connection.
final class ResponseStream {
    let produce: @Sendable () -> [UInt8]?
    var pending: [UInt8] = []
    var offset = 0

    init(_ produce: @escaping @Sendable () -> [UInt8]?) {
        self.produce = produce
    }
}

private let streamReader: MHD_ContentReaderCallback = { context, _, buffer, capacity in
    guard let context, let buffer else {
        return -2  // MHD_CONTENT_READER_END_WITH_ERROR
    }
    let stream = Unmanaged<ResponseStream>.fromOpaque(context).takeUnretainedValue()
    while stream.offset == stream.pending.count {
        guard let next = stream.produce() else {
            return -1  // MHD_CONTENT_READER_END_OF_STREAM
        }
        stream.pending = next
        stream.offset = 0
    }
    let count = min(capacity, stream.pending.count - stream.offset)
    stream.pending.withUnsafeBytes { bytes in
        UnsafeMutableRawPointer(buffer).copyMemory(
            from: bytes.baseAddress! + stream.offset, byteCount: count)
    }
    stream.offset += count
    return count
}

private let streamFinished: MHD_ContentReaderFreeCallback = { context in
    if let context {
        Unmanaged<ResponseStream>.fromOpaque(context).release()
    }
}

extension HTTPHeaders {
    init(_ fields: [(name: String, value: String)]) {
        self.init()
        for field in fields {
            add(field.name, field.value)
        }
    }
}

// MARK: - The listening socket

/// A TCP socket bound and listening, made here so that the port (0 for any) is known before
/// libmicrohttpd takes it over.
struct ListeningSocket {
    let descriptor: Int32
    let port: UInt16

    init(host: String, port: UInt16) throws {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw HTTPServerError("'\(host)' is not an IPv4 address to listen on")
        }
        let descriptor = socket(
            AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else {
            throw HTTPServerError("socket() failed: \(String(cString: strerror(errno)))")
        }
        var reuse: Int32 = 1
        setsockopt(
            descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(descriptor, 128) == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(descriptor)
            throw HTTPServerError("cannot listen on \(host):\(port): \(reason)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getsockname(descriptor, $0, &length)
            }
        }
        self.descriptor = descriptor
        self.port = UInt16(bigEndian: actual.sin_port)
    }

    func close() {
        Glibc.close(descriptor)
    }
}
