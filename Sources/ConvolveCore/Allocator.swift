import CKernels
import Foundation

/// Keeps freed tensors' memory in the C heap for the next ones (`ck_tune_allocator`): a fresh page costs the
/// kernel a zeroing pass before it is first written. A process-wide malloc policy, so the library never sets it
/// on its own: the command line asks at start, and so does the bench. Once per process (later calls do nothing);
/// `hugeHeap: false` leaves the heap's top without transparent huge pages (to compare); the user setting
/// `CONVOLVE_KEEP_MEMORY=0` leaves malloc alone.
public func prepareAllocator(hugeHeap: Bool = true) {
  AllocatorPolicy.once.prepare(hugeHeap: hugeHeap)
}

private final class AllocatorPolicy: @unchecked Sendable {  // Unchecked: its mutable state is read and written under `lock` only.
  static let once = AllocatorPolicy()
  private var done = false
  private let lock = NSLock()

  func prepare(hugeHeap: Bool) {
    lock.withLock {
      guard !done else { return }
      done = true
      ck_tune_allocator(hugeHeap ? 1 : 0)
    }
  }
}
