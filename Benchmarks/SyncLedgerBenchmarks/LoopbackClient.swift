import Glibc

/// A minimal HTTP/1.1 client over one keep-alive loopback connection, for load: it writes a
/// request and reads the answer by its `Content-Length`, without any library in between.
final class LoopbackClient {
    private let descriptor: Int32
    private var buffer: [UInt8] = []

    init(port: UInt16) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else {
            throw BenchmarkError.system("socket", errno, "a loopback client")
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(descriptor)
            throw BenchmarkError.system("connect", errno, "127.0.0.1:\(port)")
        }
        var noDelay: Int32 = 1
        setsockopt(
            descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay,
            socklen_t(MemoryLayout<Int32>.size))
    }

    deinit {
        close(descriptor)
    }

    /// Sends `request` (a whole HTTP/1.1 request) and returns the status and body length.
    func exchange(_ request: [UInt8]) throws -> (status: Int, bodyBytes: Int) {
        var sent = 0
        while sent < request.count {
            let written = request[sent...].withUnsafeBytes {
                write(descriptor, $0.baseAddress!, $0.count)
            }
            guard written > 0 else {
                throw BenchmarkError.system("write", errno, "a loopback request")
            }
            sent += written
        }
        let head = try readHead()
        let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        var length = 0
        for line in head.split(separator: "\r\n")
        where line.lowercased().hasPrefix("content-length:") {
            length = Int(line.dropFirst(15).drop { $0 == " " }) ?? 0
        }
        try readBody(length)
        return (status, length)
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
        guard count > 0 else {
            throw BenchmarkError("the server closed a loopback connection")
        }
        buffer += chunk[..<count]
    }

    private func readHead() throws -> String {
        let separator: [UInt8] = [13, 10, 13, 10]
        while true {
            if let end = buffer.firstRange(of: separator) {
                let head = String(decoding: buffer[..<end.lowerBound], as: UTF8.self)
                buffer.removeFirst(end.upperBound)
                return head
            }
            try fill()
        }
    }

    private func readBody(_ length: Int) throws {
        while buffer.count < length {
            try fill()
        }
        buffer.removeFirst(length)
    }
}
