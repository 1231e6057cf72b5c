import Ledger
import Testing
import YAML

@Suite struct YAMLReaderTests {
    @Test func readsMappingsSequencesAndCoreSchemaScalars() throws {
        let value = try YAMLReader.value(
            of: """
                name: support
                enabled: true
                retries: 3
                ratio: 0.25
                nothing: ~
                quoted: "42"
                tags: [printer, "hardware"]
                pairs:
                  - left: subject
                    right: summary
                change: =
                """)
        #expect(value["name"] == "support")
        #expect(value["enabled"] == true)
        #expect(value["retries"] == 3)
        #expect(value["ratio"] == .decimal(DecimalNumber(significand: 25, exponent: -2)!))
        #expect(value["nothing"] == .null)
        #expect(value["quoted"] == "42")
        #expect(value["tags"] == ["printer", "hardware"])
        #expect(value["pairs"]?.arrayValue?.first?["right"] == "summary")
        #expect(value["change"] == "=")
    }

    @Test func followsAnchorsAndAliases() throws {
        let value = try YAMLReader.value(
            of: """
                base: &defaults
                  retries: 3
                copy: *defaults
                """)
        #expect(value["copy"] == ["retries": 3])
    }

    @Test(arguments: [
        ("a: 1\n  b: 2\n", 2),
        ("a: [1, 2\n", 2),
        ("a: 1\na: 2\n", 2),
        ("copy: *missing\n", 1),
    ])
    func aBrokenTextIsAnErrorWithItsLine(text: String, line: Int) {
        let error = #expect(throws: YAMLError.self) { try YAMLReader.value(of: text) }
        #expect(error?.line == line, "\(error?.description ?? "")")
        #expect(error?.reason.isEmpty == false)
    }

    @Test func anEmptyTextIsNull() throws {
        #expect(try YAMLReader.value(of: "") == .null)
    }
}
