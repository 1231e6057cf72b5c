import Glibc

/// A reader-writer lock that prefers writers, over `pthread_rwlock_t`.
///
/// The environment takes it shared around every transaction and exclusively to resize the map
/// or to close, because LMDB allows neither while a transaction of this process is open.
/// Writer preference keeps a resize from waiting behind an endless stream of readers; in
/// exchange, a thread must never take the lock shared twice (a nested read could wait on a
/// resize that waits on the outer read).
///
/// `@unchecked Sendable`: the lock's whole purpose is to be shared between threads, and its
/// storage is only touched through the pthread calls.
final class ReadWriteLock: @unchecked Sendable {
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>

    init() {
        lock = .allocate(capacity: 1)
        var attributes = pthread_rwlockattr_t()
        pthread_rwlockattr_init(&attributes)
        defer { pthread_rwlockattr_destroy(&attributes) }
        pthread_rwlockattr_setkind_np(
            &attributes, Int32(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
        let result = pthread_rwlock_init(lock, &attributes)
        // Initialisation fails only for lack of memory or bad attributes: nothing to recover.
        precondition(result == 0, "pthread_rwlock_init failed: \(result)")
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    func withSharedLock<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }

    func withExclusiveLock<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }
}

/// A plain mutual-exclusion lock over `pthread_mutex_t`, for sections that return values the
/// lock does not own (which `Synchronization.Mutex` would require to be sent).
///
/// `@unchecked Sendable`: it is a lock; its storage is only touched through the pthread calls.
final class ExclusiveLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        let result = pthread_mutex_init(mutex, nil)
        // Default attributes fail only for lack of memory: nothing to recover.
        precondition(result == 0, "pthread_mutex_init failed: \(result)")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func withLock<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}
