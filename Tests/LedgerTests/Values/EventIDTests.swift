import Ledger
import Testing

@Suite struct EventIDTests {
    @Test func parsesAndPrintsTheUUIDForm() throws {
        let id = try #require(EventID("0191e2f4-7c3a-7b21-9f00-12ab34cd56ef"))
        #expect(id.high == 0x0191_e2f4_7c3a_7b21)
        #expect(id.low == 0x9f00_12ab_34cd_56ef)
        #expect(
            id.bytes == [
                0x01, 0x91, 0xe2, 0xf4, 0x7c, 0x3a, 0x7b, 0x21,
                0x9f, 0x00, 0x12, 0xab, 0x34, 0xcd, 0x56, 0xef,
            ])
        #expect(id.description == "0191e2f4-7c3a-7b21-9f00-12ab34cd56ef")
        #expect(EventID(bytes: id.bytes) == id)
    }

    @Test func upperCaseParsesAndPrintsInLowerCase() throws {
        let id = try #require(EventID("0191E2F4-7C3A-7B21-9F00-12AB34CD56EF"))
        #expect(id.description == "0191e2f4-7c3a-7b21-9f00-12ab34cd56ef")
    }

    @Test func randomIDsRoundTripThroughTheirPrintedForm() {
        var generator = SeededGenerator(seed: 0x1d)
        for _ in 0..<500 {
            let id = EventID(high: generator.next(), low: generator.next())
            #expect(EventID(id.description) == id)
            #expect(EventID(bytes: id.bytes) == id)
        }
        #expect(EventID(EventID(high: 0, low: 0).description) == EventID(high: 0, low: 0))
        #expect(
            EventID(EventID(high: .max, low: .max).description) == EventID(high: .max, low: .max))
    }

    @Test(
        arguments: [
            "", "0191e2f4", "0191e2f47c3a7b219f0012ab34cd56ef",
            "0191e2f4-7c3a-7b21-9f00-12ab34cd56e", "0191e2f4-7c3a-7b21-9f00-12ab34cd56eff",
            "0191e2f4-7c3a-7b21-9f00-12ab34cd56ef0", "0191e2f-47c3a-7b21-9f00-12ab34cd56ef",
            "0191e2f4_7c3a_7b21_9f00_12ab34cd56ef", "0191e2f4-7c3a-7b21-9f00-12ab34cd56eg",
            "{0191e2f4-7c3a-7b21-9f00-12ab34cd56ef}", " 0191e2f4-7c3a-7b21-9f00-12ab34cd56ef",
            "0191e2f4-7c3a-7b21-9f00-12ab34cd56e\u{E9}",
            "0191e2f4-7c3a-7b21-9f00-12ab34cd56\u{0661}",
            "0191e2f4-7c3a-7b21-9f00--12ab34cd56e",
        ])
    func refusesAnythingButTheUUIDForm(_ text: String) {
        #expect(EventID(text) == nil)
    }

    @Test func refusesByteCountsOtherThanSixteen() {
        #expect(EventID(bytes: [UInt8](repeating: 1, count: 15)) == nil)
        #expect(EventID(bytes: [UInt8](repeating: 1, count: 17)) == nil)
        #expect(EventID(bytes: [UInt8]()) == nil)
    }

    @Test func generatedIDsHaveVersion7AndTheRFCVariant() {
        var generator = SeededGenerator(seed: 0x77)
        for _ in 0..<200 {
            let time = Timestamp(
                microsecondsSinceEpoch: Int64.random(
                    in: 0...4_000_000_000_000_000, using: &generator))
            let id = EventID.generate(at: time, using: &generator)
            #expect(id.high & 0xf000 == 0x7000, "\(id)")
            #expect(id.low >> 62 == 0b10, "\(id)")
            #expect(id.description.dropFirst(14).first == "7")
            #expect(id.high >> 16 == UInt64(time.microseconds / 1000), "\(id)")
        }
        let fresh = EventID.generate()
        #expect(fresh.high & 0xf000 == 0x7000)
        #expect(fresh.low >> 62 == 0b10)
    }

    @Test func generatedIDsSortByTheirMillisecond() {
        var generator = SeededGenerator(seed: 0x5047)
        var times = (0..<300).map { _ in
            Int64.random(in: 0...4_000_000_000_000, using: &generator) * 1000
        }
        times = Array(Set(times)).sorted()
        let ids = times.map {
            EventID.generate(at: Timestamp(microsecondsSinceEpoch: $0), using: &generator)
        }
        #expect(ids == ids.sorted())
        #expect(Set(ids).count == ids.count)
    }

    @Test func idsMadeInTheSameMillisecondDiffer() {
        let time = Timestamp(secondsSinceEpoch: 1_800_000_000)
        let ids = (0..<100).map { _ in EventID.generate(at: time) }
        #expect(Set(ids).count == 100)
        #expect(Set(ids.map { $0.high >> 16 }).count == 1)
    }
}
