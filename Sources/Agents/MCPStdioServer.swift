import Foundation

/// Carries an ``MCPSession`` over standard input and output: one JSON-RPC message a line in,
/// one answer a line out, until input ends. Nothing else is written to standard output.
public enum MCPStdioServer {
    /// Serves `session` until standard input closes.
    public static func serve(_ session: MCPSession) async {
        while let line = readLine(strippingNewline: true) {
            guard !line.allSatisfy(\.isWhitespace) else {
                continue
            }
            if let answer = await session.handle(line) {
                FileHandle.standardOutput.write(Data((answer + "\n").utf8))
            }
        }
    }
}
