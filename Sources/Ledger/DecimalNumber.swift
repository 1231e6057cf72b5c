/// An exact decimal number: `significand × 10^exponent`, always in its shortest form.
///
/// The form is normalised so that each number has one representation: the significand has no
/// trailing zero digits (`12.50` is stored as `125 × 10^-1`), and zero is
/// `0 × 10^0`. That makes equality and the binary encoding exact. Significands that fit in 64
/// bits (up to 19 digits) and exponents within ±``exponentLimit`` are supported; JSON numbers
/// beyond them are rejected with an error rather than rounded.
public struct DecimalNumber: Sendable, Hashable, CustomStringConvertible {
    /// The digits, without trailing zeros.
    public let significand: Int64

    /// The power of ten the significand is scaled by.
    public let exponent: Int32

    /// The largest exponent magnitude accepted, which keeps printed forms bounded.
    public static let exponentLimit: Int32 = 64

    /// Creates `significand × 10^exponent`, normalised. Returns `nil` when the exponent, once
    /// normalised, is beyond ±``exponentLimit``.
    public init?(significand: Int64, exponent: Int32) {
        self.init(significand: significand, wideExponent: Int64(exponent))
    }

    /// Normalises with the exponent in 64 bits, so that no step of it can overflow.
    init?(significand: Int64, wideExponent: Int64) {
        var significand = significand
        var exponent = significand == 0 ? 0 : wideExponent
        while significand != 0 && significand % 10 == 0 {
            significand /= 10
            exponent += 1
        }
        guard exponent.magnitude <= UInt64(Self.exponentLimit) else {
            return nil
        }
        self.significand = significand
        self.exponent = Int32(exponent)
    }

    /// Parses a number in JSON's syntax (`-12.5`, `3e-2`, `0.10`).
    ///
    /// Returns `nil` for anything else, or for more significant digits than fit in 64 bits.
    public init?(_ text: Substring) {
        var bytes = Array(text.utf8)[...]
        var negative = false
        if bytes.first == UInt8(ascii: "-") {
            negative = true
            bytes = bytes.dropFirst()
        }
        var digits: [UInt8] = []
        var fractionDigits: Int32 = 0
        var seenPoint = false
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                digits.append(byte - UInt8(ascii: "0"))
                if seenPoint {
                    fractionDigits += 1
                }
            } else if byte == UInt8(ascii: ".") && !seenPoint {
                seenPoint = true
            } else {
                break
            }
            index += 1
        }
        guard !digits.isEmpty else {
            return nil
        }
        var exponent: Int32 = 0
        if index < bytes.endIndex {
            guard bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E"),
                let parsed = Int32(String(decoding: bytes[(index + 1)...], as: UTF8.self))
            else {
                return nil
            }
            exponent = parsed
        }

        // Leading zeros carry no value; trailing zeros move into the exponent, so that a number
        // such as 1e30 written out in full still fits.
        while digits.count > 1 && digits.first == 0 {
            digits.removeFirst()
        }
        var trailingZeros: Int64 = 0
        while digits.count > 1 && digits.last == 0 {
            digits.removeLast()
            trailingZeros += 1
        }
        // The magnitude is built unsigned, so that -9223372036854775808 fits as Int64 does.
        var magnitude: UInt64 = 0
        for digit in digits {
            let (scaled, overflowScale) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflowAdd) = scaled.addingReportingOverflow(UInt64(digit))
            guard !overflowScale && !overflowAdd else {
                return nil
            }
            magnitude = sum
        }
        let significand: Int64
        if negative {
            guard magnitude <= Int64.min.magnitude else { return nil }
            significand = magnitude == Int64.min.magnitude ? .min : -Int64(magnitude)
        } else {
            guard magnitude <= UInt64(Int64.max) else { return nil }
            significand = Int64(magnitude)
        }
        let scaledExponent = Int64(exponent) + trailingZeros - Int64(fractionDigits)
        self.init(significand: significand, wideExponent: scaledExponent)
    }

    /// The number in plain decimal notation, with at least one fractional digit: `12.5`,
    /// `1500.0`, `-0.03`.
    public var description: String {
        let negative = significand < 0
        var digits = String(significand.magnitude)
        if exponent >= 0 {
            digits += String(repeating: "0", count: Int(exponent)) + ".0"
        } else {
            let fraction = Int(-exponent)
            if digits.count <= fraction {
                digits = String(repeating: "0", count: fraction - digits.count + 1) + digits
            }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -fraction))
        }
        return negative ? "-" + digits : digits
    }
}
