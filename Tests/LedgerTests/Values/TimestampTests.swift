import Ledger
import Testing

@Suite struct TimestampTests {
    @Test(
        arguments: [
            (0, "1970-01-01T00:00:00Z"),
            (1_000, "1970-01-01T00:00:00.001Z"),
            (120_000, "1970-01-01T00:00:00.120Z"),
            (1, "1970-01-01T00:00:00.000001Z"),
            (123_456, "1970-01-01T00:00:00.123456Z"),
            (1_796_311_441_000_000, "2026-12-03T15:24:01Z"),
            (1_796_311_441_500_000, "2026-12-03T15:24:01.500Z"),
            (951_782_400_000_000, "2000-02-29T00:00:00Z"),
            (-1, "1969-12-31T23:59:59.999999Z"),
            (-1_000_000, "1969-12-31T23:59:59Z"),
            (-86_400_000_000, "1969-12-31T00:00:00Z"),
            (-2_208_988_800_000_000, "1900-01-01T00:00:00Z"),
            (-62_167_219_200_000_000, "0000-01-01T00:00:00Z"),
            (253_402_300_799_999_999, "9999-12-31T23:59:59.999999Z"),
        ] as [(Int64, String)])
    func printsRFC3339InUTCWithZeroThreeOrSixFractionalDigits(
        _ microseconds: Int64, _ text: String
    ) {
        let time = Timestamp(microsecondsSinceEpoch: microseconds)
        #expect(time.description == text)
        #expect(Timestamp(rfc3339: text) == time)
    }

    @Test func theEarliestAndLatestTimesAreTheEndsOfFourDigitYears() {
        #expect(Timestamp.earliest.description == "0000-01-01T00:00:00Z")
        #expect(Timestamp.latest.description == "9999-12-31T23:59:59.999999Z")
    }

    @Test(
        arguments: [
            ("2026-12-03T16:24:01+01:00", "2026-12-03T15:24:01Z"),
            ("2026-12-03T10:24:01-05:00", "2026-12-03T15:24:01Z"),
            ("2026-12-03T15:24:01+00:00", "2026-12-03T15:24:01Z"),
            ("2026-12-03T15:24:01-00:00", "2026-12-03T15:24:01Z"),
            ("2026-12-03T21:09:01+05:45", "2026-12-03T15:24:01Z"),
            ("2026-01-01T00:30:00+01:00", "2025-12-31T23:30:00Z"),
            ("2025-12-31T23:30:00-01:00", "2026-01-01T00:30:00Z"),
            ("2026-12-03t15:24:01z", "2026-12-03T15:24:01Z"),
            ("2026-12-03 15:24:01Z", "2026-12-03T15:24:01Z"),
            ("2026-12-03T15:24:01.5Z", "2026-12-03T15:24:01.500Z"),
            ("2026-12-03T15:24:01.000Z", "2026-12-03T15:24:01Z"),
            ("2026-12-03T15:24:01.123Z", "2026-12-03T15:24:01.123Z"),
            ("2026-12-03T15:24:01.1234567Z", "2026-12-03T15:24:01.123456Z"),
            ("2026-12-03T16:24:01.25+01:00", "2026-12-03T15:24:01.250Z"),
            ("1969-07-20T20:17:40Z", "1969-07-20T20:17:40Z"),
            ("1600-02-29T12:00:00Z", "1600-02-29T12:00:00Z"),
            ("2000-02-29T00:00:00Z", "2000-02-29T00:00:00Z"),
            ("0000-01-01T00:00:00Z", "0000-01-01T00:00:00Z"),
            ("0000-01-01T01:00:00+01:00", "0000-01-01T00:00:00Z"),
            ("9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z"),
        ])
    func parsesUTCAndOffsetTimes(_ text: String, _ utc: String) throws {
        let time = try #require(Timestamp(rfc3339: text))
        #expect(time.description == utc)
    }

    @Test(
        arguments: [
            "2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z", "1900-02-29T00:00:00Z",
            "2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z",
            "2026-12-00T00:00:00Z", "2026-12-03T24:00:00Z", "2026-12-03T23:60:00Z",
            "2026-12-03T23:59:61Z", "2026-12-03T15:24:01", "2026-12-03", "2026-12-03T15:24Z",
            "2026-12-03T15:24:01.Z", "2026-12-03T15:24:01+0100", "2026-12-03T15:24:01+01",
            "2026-12-03T15:24:01+24:00", "2026-12-03T15:24:01+01:60", "2026-12-03T15:24:01Zjunk",
            " 2026-12-03T15:24:01Z", "26-12-03T15:24:01Z", "+2026-12-03T15:24:01Z",
            "2026/12/03T15:24:01Z", "2026-12-03X15:24:01Z", "", "0000-01-01T00:00:00+00:01",
            "0000-01-01T00:59:59.999999+01:00", "9999-12-31T23:59:59-00:01",
            "9999-12-31T23:30:00-01:00",
        ])
    func refusesInvalidTimesAndTimesOutsideFourDigitYears(_ text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }

    @Test func randomTimesRoundTripThroughTheirPrintedForm() throws {
        var generator = SeededGenerator(seed: 0x7153)
        let range = Timestamp.earliest.microseconds...Timestamp.latest.microseconds
        for index in 0..<3_000 {
            var microseconds = Int64.random(in: range, using: &generator)
            // A third at whole seconds, a third at whole milliseconds.
            switch index % 3 {
            case 0: microseconds -= microseconds % 1_000_000
            case 1: microseconds -= microseconds % 1_000
            default: break
            }
            guard range.contains(microseconds) else { continue }
            let time = Timestamp(microsecondsSinceEpoch: microseconds)
            let text = time.description
            #expect(Timestamp(rfc3339: text) == time, "\(text)")
            #expect(
                text.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6})?Z/) != nil,
                "\(text)")
        }
    }

    @Test func randomTimesWrittenWithAnOffsetParseToTheSameInstant() throws {
        var generator = SeededGenerator(seed: 0x0ff5e7)
        let hour: Int64 = 3_600_000_000
        let earliest = Timestamp.earliest.microseconds + 24 * hour
        let latest = Timestamp.latest.microseconds - 24 * hour
        let range = earliest...latest
        for _ in 0..<1_000 {
            let time = Timestamp(microsecondsSinceEpoch: Int64.random(in: range, using: &generator))
            let offsetMinutes = Int64.random(
                in: -(23 * 60 + 59)...(23 * 60 + 59), using: &generator)
            let local = Timestamp(
                microsecondsSinceEpoch: time.microseconds + offsetMinutes * 60_000_000)
            let sign = offsetMinutes < 0 ? "-" : "+"
            let hours = abs(offsetMinutes) / 60
            let minutes = abs(offsetMinutes) % 60
            let suffix =
                sign + (hours < 10 ? "0" : "") + "\(hours):"
                + (minutes < 10 ? "0" : "") + "\(minutes)"
            let text = String(local.description.dropLast()) + suffix
            #expect(Timestamp(rfc3339: text) == time, "\(text)")
        }
    }
}
