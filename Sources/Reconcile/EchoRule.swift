import Ledger

/// When a value a system reports is the ledger's own write coming back.
///
/// Providers store what they are sent with small changes: Jira trims a summary, a help desk
/// turns `\r\n` into `\n`, a tracker returns labels in its own order, an empty field comes back
/// as `null`. So an observed value is an echo of a written one when the two are equal after
/// ``normalised(_:)``:
///
/// - strings lose leading and trailing white space, and `\r\n` and lone `\r` become `\n`;
/// - arrays compare as sets: their normalised elements, sorted by canonical bytes, duplicates
///   dropped;
/// - an integer equals the decimal with the same value;
/// - `null`, the empty string and the empty array are all "empty" and equal one another;
/// - objects compare member by member, normalised.
///
/// The same rule decides when two sides of a pair agree, so a value the provider normalised
/// does not set off another write.
public enum EchoRule {
    /// Whether `observed` is `written` as a provider would store it. A missing value is empty.
    public static func matches(_ observed: Value?, _ written: Value?) -> Bool {
        let observed = observed ?? .null
        let written = written ?? .null
        // Most echoes come back exactly as written.
        return observed == written || normalised(observed) == normalised(written)
    }

    /// The form two values are compared in.
    public static func normalised(_ value: Value) -> Value {
        switch value {
        case .string(let text):
            let trimmed = trim(text)
            return trimmed.isEmpty ? .null : .string(trimmed)
        case .array(let elements):
            var seen: [[UInt8]: Value] = [:]
            for element in elements {
                let normal = normalised(element)
                seen[normal.encoded] = normal
            }
            if seen.isEmpty {
                return .null
            }
            return .array(seen.keys.sorted { $0.lexicographicallyPrecedes($1) }.map { seen[$0]! })
        case .integer(let number):
            return DecimalNumber(significand: number, exponent: 0).map(Value.decimal) ?? value
        case .object(let object):
            return .object(ValueObject(object.map { ($0.key, normalised($0.value)) }))
        case .null, .bool, .decimal:
            return value
        }
    }

    private static func trim(_ text: String) -> String {
        let bytes = text.utf8
        let isTrimmed =
            !bytes.contains(UInt8(ascii: "\r"))
            && !(bytes.first.map(isWhitespace) ?? false) && !(bytes.last.map(isWhitespace) ?? false)
        if isTrimmed {
            return text
        }
        let unified = text.replacing("\r\n", with: "\n").replacing("\r", with: "\n")
        let scalars = unified.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else {
            return ""
        }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }

    /// Whether a byte at either end of a string may be white space: ASCII white space, or
    /// the first or last byte of a multi-byte scalar, which the slow path checks properly.
    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0d).contains(byte) || byte >= 0x80
    }
}
