/// Wakes a waiting loop early. A ring while nobody waits is kept (once), so that a
/// notification that arrives while the loop is busy is not lost.
actor Doorbell {
    private var rung = false
    private var waiter: (id: Int, continuation: CheckedContinuation<Void, Never>)?
    private var lastID = 0

    func ring() {
        if let waiter {
            self.waiter = nil
            waiter.continuation.resume()
        } else {
            rung = true
        }
    }

    /// Returns when the bell rings (or rang since the last wait), after `timeout`, or when the task is cancelled.
    func wait(upTo timeout: Duration) async {
        if rung || Task.isCancelled {
            rung = false
            return
        }
        lastID += 1
        let id = lastID
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.release(id)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                waiter = (id, continuation)
            }
        } onCancel: {
            Task { await self.release(id) }
        }
        timer.cancel()
    }

    /// Ends the wait `id`, if it is still the one waiting.
    private func release(_ id: Int) {
        guard let waiter, waiter.id == id else { return }
        self.waiter = nil
        waiter.continuation.resume()
    }
}
