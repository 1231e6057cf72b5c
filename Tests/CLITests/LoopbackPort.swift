import Glibc

/// A loopback TCP port no socket holds now, for a child process to listen on.
///
/// The kernel picks it (bind to port 0), so it is free when returned; a port drawn at random
/// could be one another test's connection already uses.
func unusedLoopbackPort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else {
        throw LoopbackPortError(call: "socket")
    }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
            bind(descriptor, address, length) == 0
                && getsockname(descriptor, address, &length) == 0
        }
    }
    guard bound else {
        throw LoopbackPortError(call: "bind")
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A socket call that failed while looking for a free port.
struct LoopbackPortError: Error, CustomStringConvertible {
    let call: String

    var description: String { "\(call) failed with errno \(errno) looking for a free port" }
}
