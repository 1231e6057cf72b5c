import Foundation
import Testing

@Suite("Command-line usage")
struct UsageTests {
    @Test(
        "--help on every command exits 0 and describes its options",
        arguments: [
            ("append", ["--file", "--ledger", "--json", "--help"]),
            (
                "log",
                [
                    "--record", "--kind", "--from", "--to", "--limit", "--reverse", "--follow",
                    "--json", "--full", "--ledger", "--help",
                ]
            ),
            ("stats", ["--ledger", "--json", "--help"]),
        ])
    func helpOnEveryCommand(command: String, options: [String]) throws {
        for arguments in [[command, "--help"], [command, "-h"], ["help", command]] {
            let result = try SyncLedgerCLI.run(arguments)
            #expect(result.status == 0, "\(arguments): \(result)")
            #expect(result.stderr.isEmpty)
            #expect(result.stdout.contains("Usage: syncledger \(command)"), "\(arguments)")
            for option in options {
                #expect(result.stdout.contains(option), "\(arguments) does not mention \(option)")
            }
        }
    }

    @Test("--help on its own lists the commands and exits 0")
    func overview() throws {
        let result = try SyncLedgerCLI.run(["--help"])
        #expect(result.status == 0, "\(result)")
        for command in ["append", "log", "stats"] {
            #expect(result.stdout.contains("  \(command) "), "the overview lacks \(command)")
        }
    }

    @Test("syncledger without arguments shows the commands and exits 64")
    func noArguments() throws {
        let result = try SyncLedgerCLI.run([])
        #expect(result.status == 64, "\(result)")
        let shown = result.stdout + result.stderr
        for command in ["append", "log", "stats"] {
            #expect(shown.contains("  \(command) "), "the usage text lacks \(command)")
        }
    }

    @Test(
        "bad options exit 64 with the problem on standard error",
        arguments: [
            (["log", "--bogus"], "unknown option '--bogus' for 'syncledger log'"),
            (["append", "--jsn"], "did you mean '--json'?"),
            (["stats", "-v"], "unknown option '-v'"),
            (["stats", "extra"], "unexpected argument 'extra'"),
            (["log", "--limit", "0"], "'--limit 0'"),
            (["log", "--from", "first"], "'--from first'"),
            (["log", "--kind", "observd"], "'--kind observd'"),
            (["log", "--record", "ticket-42"], "'--record ticket-42'"),
            (["log", "--follow", "--reverse"], "cannot be combined"),
            (["log", "--ledger"], "'--ledger' needs a value"),
            (["log", "--json=yes"], "'--json' takes no value"),
            (["log", "--from", "1", "--from", "2"], "more than once"),
            (["sandbox", "--faults", #"{"serverErrorRate":3}"#], "serverErrorRate must be"),
            (["sandbox", "--faults", "{"], "'--faults': not JSON"),
            (["sandbox", "--tickets", "-1"], "'--tickets -1'"),
        ])
    func badOption(arguments: [String], message: String) throws {
        try withTemporaryDirectory { directory in
            let result = try SyncLedgerCLI.run(arguments, workingDirectory: directory.url)
            #expect(result.status == 64, "\(arguments): \(result)")
            #expect(result.stdout.isEmpty, "\(arguments)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("--help"), "\(arguments): no pointer to the help")
            let created = try FileManager.default.contentsOfDirectory(atPath: directory.url.path)
            #expect(created.isEmpty, "bad usage created \(created)")
        }
    }

    @Test("an unknown command exits 64 and suggests the closest one")
    func unknownCommand() throws {
        let result = try SyncLedgerCLI.run(["lgo"])
        #expect(result.status == 64, "\(result)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("unknown command 'lgo'"), "\(result.stderr)")
        #expect(result.stderr.contains("did you mean 'log'?"), "\(result.stderr)")
    }
}

@Suite("Where the ledger is")
struct LedgerLocationTests {
    private func environment(ledger: String?) -> [String: String] {
        var environment = SyncLedgerCLI.environment
        environment["SYNCLEDGER_LEDGER"] = ledger
        return environment
    }

    @Test("SYNCLEDGER_LEDGER names the ledger when --ledger is not given")
    func environmentVariable() throws {
        try withTemporaryDirectory { directory in
            let ledger = directory.url.appendingPathComponent("from-environment")
            let environment = environment(ledger: ledger.path)
            let appended = try SyncLedgerCLI.run(
                ["append", "--json"], stdin: eventLine("observed", id: eventID(1)) + "\n",
                environment: environment, workingDirectory: directory.url)
            #expect(appended.status == 0, "\(appended)")
            #expect(FileManager.default.fileExists(atPath: ledger.path + "/data.mdb"))
            #expect(!FileManager.default.fileExists(atPath: directory.url.path + "/.syncledger"))

            for arguments in [["log", "--json"], ["stats", "--json"]] {
                let result = try SyncLedgerCLI.run(
                    arguments, environment: environment, workingDirectory: directory.url)
                #expect(result.status == 0, "\(arguments): \(result)")
            }
            let log = try SyncLedgerCLI.run(
                ["log", "--json"], environment: environment, workingDirectory: directory.url)
            #expect(eventIDs(log) == [eventID(1)])
        }
    }

    @Test("--ledger wins over SYNCLEDGER_LEDGER")
    func optionWinsOverEnvironment() throws {
        try withTemporaryDirectory { directory in
            let named = directory.url.appendingPathComponent("named")
            let unused = directory.url.appendingPathComponent("unused")
            let result = try SyncLedgerCLI.run(
                ["append", "--ledger", named.path], stdin: eventLine("observed") + "\n",
                environment: environment(ledger: unused.path))
            #expect(result.status == 0, "\(result)")
            #expect(FileManager.default.fileExists(atPath: named.path + "/data.mdb"))
            #expect(!FileManager.default.fileExists(atPath: unused.path))
        }
    }

    @Test(
        "without --ledger or SYNCLEDGER_LEDGER the ledger is ./.syncledger",
        arguments: [nil, ""])
    func defaultInWorkingDirectory(variable: String?) throws {
        try withTemporaryDirectory { directory in
            let environment = environment(ledger: variable)
            let appended = try SyncLedgerCLI.run(
                ["append"], stdin: eventLine("observed", id: eventID(2)) + "\n",
                environment: environment, workingDirectory: directory.url)
            #expect(appended.status == 0, "\(appended)")
            let dataFile = directory.url.path + "/.syncledger/data.mdb"
            #expect(FileManager.default.fileExists(atPath: dataFile))

            let log = try SyncLedgerCLI.run(
                ["log", "--json"], environment: environment, workingDirectory: directory.url)
            #expect(log.status == 0, "\(log)")
            #expect(eventIDs(log) == [eventID(2)])
        }
    }

    @Test("log and stats on a missing ledger fail without creating one")
    func missingLedger() throws {
        try withTemporaryDirectory { directory in
            let ledger = directory.url.appendingPathComponent("nothing-here")
            for command in ["log", "stats"] {
                let result = try SyncLedgerCLI.run([command, "--ledger", ledger.path])
                #expect(result.status == 1, "\(command): \(result)")
                #expect(result.stderr.contains("there is no ledger at \(ledger.path)"))
                #expect(!FileManager.default.fileExists(atPath: ledger.path))
            }
        }
    }
}
