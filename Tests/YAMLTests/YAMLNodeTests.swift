import Ledger
import Testing
import YAML

@Suite struct YAMLNodeTests {
    static let text = """
        connections:
          zendesk:
            provider: zendesk
            baseURL: "https://example.zendesk.com"
        pairs:
          - name: support
            fields:
              - left: subject
                right: summary
        """

    @Test func everyNodeKnowsItsLineAndColumn() throws {
        let root = try #require(try YAMLReader.document(of: Self.text))
        #expect(root.line == 1 && root.column == 1)
        let provider = try #require(root["connections"]?["zendesk"]?["provider"])
        #expect(provider.text == "zendesk")
        #expect(provider.position == "line 3, column 15")
        let url = try #require(root["connections"]?["zendesk"]?["baseURL"])
        #expect(url.kind == .scalar("https://example.zendesk.com", plain: false))
        #expect(url.line == 4)
        guard case .sequence(let pairs)? = root["pairs"]?.kind,
            case .sequence(let fields)? = pairs.first?["fields"]?.kind
        else {
            Issue.record("pairs and fields are sequences")
            return
        }
        #expect(fields.first?["right"]?.position == "line 9, column 16")
    }

    @Test func nodesGiveTheSameValuesAsTheReader() throws {
        let root = try #require(try YAMLReader.document(of: Self.text))
        #expect(root.value == (try YAMLReader.value(of: Self.text)))
    }

    @Test func aRepeatedKeyIsReportedWhereItRepeats() {
        let error = #expect(throws: YAMLError.self) {
            try YAMLReader.document(of: "a: 1\nb: 2\na: 3\n")
        }
        #expect(error?.line == 3)
        #expect(error?.column == 1)
    }

    @Test func anEmptyTextHasNoDocument() throws {
        #expect(try YAMLReader.document(of: "") == nil)
    }
}
