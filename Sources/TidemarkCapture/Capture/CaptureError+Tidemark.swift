import TidemarkClient
import TidemarkProtocol

extension CaptureError {
    /// The one place where Tidemark's answers become capture errors: what a restart of
    /// the server or a compaction can fix is retried, what only the operator can fix
    /// (permissions, a write Tidemark calls invalid) stops the capture.
    init(tidemark error: TidemarkClientError, _ context: String) {
        switch error.code {
        case .connectionFailed, .connectionClosed:
            self.init(.connection, "\(context): \(error)", cause: error)
        case .server:
            let code = error.rpcError?.code ?? RPCError.Code.internalError
            let fatal = code == RPCError.Code.forbidden || code == RPCError.Code.invalidParams
            self.init(.tidemark, "\(context): \(error)", cause: error, isRetryable: !fatal)
        default:
            self.init(.tidemark, "\(context): \(error)", cause: error)
        }
    }
}
