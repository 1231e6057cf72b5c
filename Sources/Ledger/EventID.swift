import Glibc

/// The unique id of an event: 16 bytes, printed like a UUID.
///
/// Appending an event whose id is already in the log does nothing and answers with the
/// original position, so a caller that retries after an unknown outcome never duplicates an
/// event. Callers that observe something with a natural identity (a webhook delivery id, a
/// record's update time) should derive the id from it; ``generate(at:)`` makes fresh ids for
/// everything else.
public struct EventID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The id's bytes, most significant first.
    public let high: UInt64
    /// The id's low bytes.
    public let low: UInt64

    /// Creates an id from its two halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Creates an id from exactly 16 bytes; returns `nil` for any other count.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else {
            return nil
        }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (offset, byte) in bytes.enumerated() {
            if offset < 8 {
                high = high << 8 | UInt64(byte)
            } else {
                low = low << 8 | UInt64(byte)
            }
        }
        self.init(high: high, low: low)
    }

    /// Parses the UUID form, `0191e2f4-7c3a-7b21-9f00-12ab34cd56ef`, in either case.
    public init?(_ text: some StringProtocol) {
        var nibbles: [UInt8] = []
        nibbles.reserveCapacity(32)
        for (offset, character) in text.utf8.enumerated() {
            if [8, 13, 18, 23].contains(offset) {
                guard character == UInt8(ascii: "-") else { return nil }
                continue
            }
            switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibbles.append(character - 48)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibbles.append(character - 87)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibbles.append(character - 55)
            default: return nil
            }
        }
        guard nibbles.count == 32, text.utf8.count == 36 else {
            return nil
        }
        let bytes = stride(from: 0, to: 32, by: 2).map { nibbles[$0] << 4 | nibbles[$0 + 1] }
        self.init(bytes: bytes)
    }

    /// The 16 bytes, most significant first.
    public var bytes: [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(16)
        for shift in stride(from: 56, through: 0, by: -8) {
            result.append(UInt8(truncatingIfNeeded: high >> UInt64(shift)))
        }
        for shift in stride(from: 56, through: 0, by: -8) {
            result.append(UInt8(truncatingIfNeeded: low >> UInt64(shift)))
        }
        return result
    }

    /// The UUID form in lower case.
    public var description: String {
        let hex = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(36)
        for (offset, byte) in bytes.enumerated() {
            if [4, 6, 8, 10].contains(offset) {
                text.append(UInt8(ascii: "-"))
            }
            text.append(hex[Int(byte >> 4)])
            text.append(hex[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Orders ids by their bytes.
    public static func < (lhs: EventID, rhs: EventID) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    /// A fresh id in the UUID version 7 layout: 48 bits of milliseconds, then random bits.
    ///
    /// Ids made this way sort roughly by time, which keeps the log's id index appending at its
    /// end instead of splitting pages all over the tree.
    public static func generate(
        at time: Timestamp = SystemClock().now(),
        using generator: inout some RandomNumberGenerator
    ) -> EventID {
        let milliseconds = UInt64(truncatingIfNeeded: time.microseconds / 1000) & 0xffff_ffff_ffff
        let random = generator.next()
        let versioned = milliseconds << 16 | 0x7000 | (random & 0x0fff)
        let variant = (generator.next() & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000
        return EventID(high: versioned, low: variant)
    }

    /// A fresh id from the system's random source; see ``generate(at:using:)``.
    public static func generate(at time: Timestamp = SystemClock().now()) -> EventID {
        var generator = SystemRandomNumberGenerator()
        return generate(at: time, using: &generator)
    }
}
