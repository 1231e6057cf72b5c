import Ledger
import Testing

/// A reference made from its parts, unchecked.
private func reference(_ connection: String, _ type: String, _ id: String) -> RecordReference {
    RecordReference(connection: connection, recordType: type, remoteID: id)
}

@Suite struct RecordReferenceTests {
    @Test(
        arguments: [
            ("zendesk:ticket/42", "zendesk", "ticket", "42"),
            ("jira:issue/10001", "jira", "issue", "10001"),
            ("github:issue/acme/widgets/7", "github", "issue", "acme/widgets/7"),
            ("store:object/a:b/c:d", "store", "object", "a:b/c:d"),
            ("zendesk:ticket//", "zendesk", "ticket", "/"),
            ("zendesk:ticket/:", "zendesk", "ticket", ":"),
            ("zendesk-eu:user/\u{E9}l\u{E8}ve", "zendesk-eu", "user", "\u{E9}l\u{E8}ve"),
            ("c:t/ spaced id ", "c", "t", " spaced id "),
            ("zendesk:ticket/\u{301}accent first", "zendesk", "ticket", "\u{301}accent first"),
        ])
    func parsesConnectionTypeAndRemoteID(_ input: (String, String, String, String)) throws {
        let (text, connection, recordType, remoteID) = input
        let reference = try #require(RecordReference(text))
        #expect(reference.connection == connection)
        #expect(reference.recordType == recordType)
        #expect(reference.remoteID == remoteID)
        #expect(reference.description == text)
    }

    @Test(
        arguments: [
            "", "zendesk", "zendesk:ticket", ":ticket/42", "zendesk:/42", "zendesk:ticket/",
            "a/b:ticket/42", "zendesk:tick:et/42", "zen\u{0}desk:ticket/42",
            "zendesk:tick\u{0}et/1", "zendesk/ticket:42", "/:/",
        ])
    func refusesReferencesWithAMissingOrInvalidPart(_ text: String) {
        #expect(RecordReference(text) == nil)
    }

    @Test func parsesStoredBytesAndRefusesWhatIsNotUTF8OrTooLong() {
        #expect(
            RecordReference(utf8: Array("jira:issue/SUP-7".utf8))
                == reference("jira", "issue", "SUP-7"))
        #expect(RecordReference(utf8: Array("jira:issue/".utf8) + [0xFF, 0xFE]) == nil)
        let longest = "c:t/" + String(repeating: "x", count: RecordReference.maximumLength - 2)
        #expect(RecordReference(longest) != nil)
        #expect(RecordReference(longest + "x") == nil)
    }

    @Test(
        arguments: [
            (reference("", "ticket", "1"), "connection"),
            (reference("zendesk", "", "1"), "record type"),
            (reference("zendesk", "ticket", ""), "remote id"),
            (reference("zen:desk", "ticket", "1"), "connection"),
            (reference("zen/desk", "ticket", "1"), "connection"),
            (reference("zen\u{0}desk", "ticket", "1"), "connection"),
            (reference("zendesk", "tick:et", "1"), "record type"),
            (reference("zendesk", "tick/et", "1"), "record type"),
            (reference("zendesk", "tick\u{0}et", "1"), "record type"),
        ])
    func validationRefusesEmptyPartsAndSeparatorsNamingThePart(
        _ reference: RecordReference, _ part: String
    ) {
        let error = #expect(throws: LedgerError.self) {
            try reference.validate()
        }
        #expect(error?.code == .invalidEvent)
        #expect(error?.message.contains(part) == true, "\(error?.message ?? "")")
    }

    @Test func validationLimitsTheLengthInUTF8Bytes() throws {
        #expect(RecordReference.maximumLength == 480)
        let fits = RecordReference(
            connection: "c", recordType: "t", remoteID: String(repeating: "\u{E9}", count: 239))
        try fits.validate()
        #expect(RecordReference(fits.description) == fits)

        let tooLong = RecordReference(
            connection: "c", recordType: "t", remoteID: String(repeating: "\u{E9}", count: 240))
        let error = #expect(throws: LedgerError.self) {
            try tooLong.validate()
        }
        #expect(error?.code == .invalidEvent)
        #expect(error?.message.contains("482") == true)
        #expect(error?.message.contains("480") == true)
        #expect(RecordReference(tooLong.description) == nil)

        let exactly = RecordReference(
            connection: "zendesk", recordType: "ticket",
            remoteID: String(repeating: "x", count: 480 - 13))
        try exactly.validate()
        let oneOver = RecordReference(
            connection: "zendesk", recordType: "ticket",
            remoteID: String(repeating: "x", count: 481 - 13))
        #expect(throws: LedgerError.self) { try oneOver.validate() }
    }

    @Test func referencesCompareByTheirBytesWithoutNormalisation() throws {
        let precomposed = try #require(RecordReference("zendesk:user/\u{E9}"))
        let decomposed = try #require(RecordReference("zendesk:user/e\u{301}"))
        #expect(precomposed != decomposed)
        #expect(Set([precomposed, decomposed]).count == 2)
        #expect(
            precomposed
                == RecordReference(connection: "zendesk", recordType: "user", remoteID: "\u{E9}"))

        let versions: [RecordReference: UInt64] = [precomposed: 1, decomposed: 2]
        #expect(versions[precomposed] == 1)
        #expect(versions[decomposed] == 2)
    }

    @Test func referencesOrderByConnectionThenTypeThenRemoteID() throws {
        let texts = [
            "zendesk:ticket/9", "jira:issue/2", "zendesk:ticket/10", "zendesk:group/1",
            "jira:issue/10", "zendesk:ticket/\u{E9}", "zendesk:ticket/z",
        ]
        let references = try texts.map { try #require(RecordReference($0)) }
        #expect(
            references.sorted().map(\.description) == [
                "jira:issue/10", "jira:issue/2", "zendesk:group/1", "zendesk:ticket/10",
                "zendesk:ticket/9", "zendesk:ticket/z", "zendesk:ticket/\u{E9}",
            ])
    }
}
