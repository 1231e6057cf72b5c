import CCrypto

/// A SHA-256 digest, computed incrementally with OpenSSL's libcrypto.
public struct Digest: Sendable, Hashable, CustomStringConvertible {
    /// The 32 bytes.
    public let bytes: [UInt8]

    /// The digest of `bytes`.
    public static func sha256(_ bytes: some Collection<UInt8>) -> Digest {
        var hasher = Hasher256()
        hasher.update(Array(bytes))
        return hasher.finish()
    }

    /// The lower-case hexadecimal form, 64 characters.
    public var description: String {
        bytes.map { byte in
            let digits = Array("0123456789abcdef".utf8)
            return String(
                decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]], as: UTF8.self)
        }.joined()
    }
}

/// Feeds bytes into a SHA-256 computation; ``finish()`` gives the digest.
public struct Hasher256: ~Copyable {
    private let context: OpaquePointer

    /// Starts a computation.
    public init() {
        guard let context = EVP_MD_CTX_new(), EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1
        else {
            // Only an allocation failure gets here; there is no way on from it.
            fatalError("libcrypto could not start a SHA-256 computation")
        }
        self.context = context
    }

    deinit {
        EVP_MD_CTX_free(context)
    }

    /// Adds `bytes`.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else {
            return
        }
        EVP_DigestUpdate(context, base, bytes.count)
    }

    /// Adds `bytes`.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Adds `value` as 4 big-endian bytes: how lengths enter a digest, so that two different
    /// sequences of fields never hash the same bytes.
    public mutating func update(length value: Int) {
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: value).bigEndian) { update($0) }
    }

    /// The digest of everything added.
    public consuming func finish() -> Digest {
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &output, &length)
        return Digest(bytes: Array(output.prefix(Int(length))))
    }
}

/// HMAC-SHA256 (RFC 2104) with OpenSSL's libcrypto: how providers sign webhooks.
public enum HMACSHA256 {
    /// The 32-byte authentication code of `message` under `key`.
    public static func authenticate(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        key.withUnsafeBytes { key in
            message.withUnsafeBytes { message in
                _ = HMAC(
                    EVP_sha256(), key.baseAddress, Int32(key.count),
                    message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count,
                    &output, &length)
            }
        }
        return Array(output.prefix(Int(length)))
    }

    /// Whether `code` is the authentication code of `message` under `key`, compared in
    /// constant time, so a forger learns nothing from how long a refusal takes.
    public static func isValid(_ code: [UInt8], for message: [UInt8], key: [UInt8]) -> Bool {
        let expected = authenticate(message, key: key)
        guard code.count == expected.count else {
            return false
        }
        var difference: UInt8 = 0
        for (left, right) in zip(code, expected) {
            difference |= left ^ right
        }
        return difference == 0
    }
}

extension Array where Element == UInt8 {
    /// The bytes in lower-case hexadecimal.
    public var hexadecimal: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(count * 2)
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Reads hexadecimal text, either case; `nil` for an odd length or a non-digit.
    public init?(hexadecimal text: some StringProtocol) {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else {
            return nil
        }
        func value(_ digit: UInt8) -> UInt8? {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else {
                return nil
            }
            bytes.append(high << 4 | low)
            index += 2
        }
        self = bytes
    }
}
