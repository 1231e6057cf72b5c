import Glibc

/// A point in time: microseconds since 1970-01-01T00:00:00Z.
///
/// Events carry two: when the ledger recorded them and when the provider says the change
/// happened. Both print and parse as RFC 3339 in UTC (`2026-12-03T15:24:01.123456Z`).
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Microseconds since the Unix epoch; negative before it.
    public var microseconds: Int64

    /// Creates a timestamp from microseconds since the Unix epoch.
    public init(microsecondsSinceEpoch microseconds: Int64) {
        self.microseconds = microseconds
    }

    /// Creates a timestamp from whole seconds since the Unix epoch.
    public init(secondsSinceEpoch seconds: Int64) {
        self.microseconds = seconds * 1_000_000
    }

    /// Orders timestamps in time.
    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.microseconds < rhs.microseconds
    }

    /// RFC 3339 in UTC, with as many fractional digits as the value needs (none, 3 or 6).
    public var description: String {
        let seconds = microseconds.floorDivided(by: 1_000_000)
        let fraction = microseconds - seconds * 1_000_000
        let days = seconds.floorDivided(by: 86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = Self.civilDate(daysSinceEpoch: days)

        var text = Self.pad(year, 4) + "-" + Self.pad(month, 2) + "-" + Self.pad(day, 2)
        text += "T" + Self.pad(secondOfDay / 3600, 2) + ":" + Self.pad(secondOfDay / 60 % 60, 2)
        text += ":" + Self.pad(secondOfDay % 60, 2)
        if fraction != 0 {
            text +=
                fraction % 1000 == 0
                ? "." + Self.pad(fraction / 1000, 3) : "." + Self.pad(fraction, 6)
        }
        return text + "Z"
    }

    /// Parses RFC 3339: `2026-12-03T15:24:01Z`, with optional fraction (up to microseconds are
    /// kept) and a `Z` or `±hh:mm` offset. Returns `nil` for anything else.
    public init?(rfc3339 text: some StringProtocol) {
        let bytes = Array(text.utf8)
        var index = 0

        func number(_ width: Int) -> Int64? {
            guard index + width <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[index..<index + width] {
                guard byte >= 48 && byte <= 57 else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            index += width
            return value
        }
        func expect(_ characters: String) -> Bool {
            guard index < bytes.count, characters.utf8.contains(bytes[index]) else { return false }
            index += 1
            return true
        }

        guard let year = number(4), expect("-"), let month = number(2), expect("-"),
            let day = number(2), expect("Tt "), let hour = number(2), expect(":"),
            let minute = number(2), expect(":"), let second = number(2),
            (1...12).contains(month), (1...Self.daysIn(month: month, year: year)).contains(day),
            hour < 24, minute < 60, second < 61
        else {
            return nil
        }

        var fraction: Int64 = 0
        if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                if digits < 6 {
                    fraction = fraction * 10 + Int64(bytes[index] - 48)
                }
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 6) {
                fraction *= 10
            }
        }

        var offsetSeconds: Int64 = 0
        if expect("Zz") {
            offsetSeconds = 0
        } else if index < bytes.count,
            bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")
        {
            let sign: Int64 = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            index += 1
            guard let offsetHours = number(2), expect(":"), let offsetMinutes = number(2),
                offsetHours < 24, offsetMinutes < 60
            else {
                return nil
            }
            offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
        } else {
            return nil
        }
        guard index == bytes.count else {
            return nil
        }

        let days = Self.daysSinceEpoch(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        let microseconds = seconds * 1_000_000 + fraction
        // An offset can carry a time past year 0000 or 9999 in UTC, which RFC 3339 cannot print.
        guard (Self.earliest.microseconds...Self.latest.microseconds).contains(microseconds) else {
            return nil
        }
        self.microseconds = microseconds
    }

    /// 0000-01-01T00:00:00Z, the earliest time RFC 3339 can write.
    public static let earliest = Timestamp(
        microsecondsSinceEpoch: daysSinceEpoch(year: 0, month: 1, day: 1) * 86_400_000_000)

    /// 9999-12-31T23:59:59.999999Z, the latest time RFC 3339 can write.
    public static let latest = Timestamp(
        microsecondsSinceEpoch: daysSinceEpoch(year: 10_000, month: 1, day: 1) * 86_400_000_000 - 1)

    // MARK: - Calendar arithmetic (proleptic Gregorian, UTC)

    /// Days from 1970-01-01 to the given date.
    static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = shiftedYear.floorDivided(by: 400)
        let yearOfEra = shiftedYear - era * 400
        let shiftedMonth = (month + 9) % 12
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `days` after 1970-01-01.
    static func civilDate(daysSinceEpoch days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = shifted.floorDivided(by: 146_097)
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2:
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return leap ? 29 : 28
        case 4, 6, 9, 11:
            return 30
        default:
            return 31
        }
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value.magnitude)
        let padded = String(repeating: "0", count: max(0, width - digits.count)) + digits
        return value < 0 ? "-" + padded : padded
    }
}

extension Int64 {
    /// Division rounding toward negative infinity, so times before 1970 split correctly.
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}

/// Where the ledger reads the current time from.
///
/// The ledger reads a clock only to stamp when it recorded an event; projections and planning
/// never read one. Tests inject a fixed or stepping clock to make recorded times predictable.
public protocol LedgerClock: Sendable {
    /// The current time.
    func now() -> Timestamp
}

/// The system's real-time clock.
public struct SystemClock: LedgerClock {
    /// Creates the system clock.
    public init() {}

    /// The current time from `clock_gettime(CLOCK_REALTIME)`.
    public func now() -> Timestamp {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Timestamp(
            microsecondsSinceEpoch: Int64(time.tv_sec) * 1_000_000 + Int64(time.tv_nsec) / 1000)
    }
}
