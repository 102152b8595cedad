import ConvolveCore
import ConvolveFormats
import Foundation

/// Where a streamed filter writes: a file (atomically, as `saveImage`) or standard output's bytes.
public struct StreamedOutput {
  public var path: String?
  public var name: String
  public var format: ImageFormat
  public var bitDepth: Int
  public var quality: Int
  public var pngCompression: Int?
  /// WebP's lossless mode.
  public var lossless: Bool
  public var metadata: ImageMetadata

  public init(path: String?, name: String, format: ImageFormat, bitDepth: Int, quality: Int, pngCompression: Int?,
              lossless: Bool = false, metadata: ImageMetadata) {
    (self.path, self.name, self.format, self.bitDepth) = (path, name, format, bitDepth)
    (self.quality, self.pngCompression, self.lossless, self.metadata) = (quality, pngCompression, lossless, metadata)
  }
}

/// The output rows of a strip size for a `width`-wide photo of `channels` channels: about 4 million input
/// samples (16 MB) per strip, a multiple of `alignment`.
public func defaultStripRows(width: Int, channels: Int, alignment: Int) -> Int {
  let rows = max(1, (1 << 22) / max(1, width * channels))
  return max(alignment, rows / alignment * alignment)
}

/// Whether every alpha value of `reader`'s image is 1, read strip by strip (the reader is then at its end).
/// Images without alpha give true.
public func alphaIsOpaque(_ reader: ImageRowReader, stripRows: Int) throws -> Bool {
  let info = reader.info
  guard info.channels == 2 || info.channels == 4 else { return true }
  var strip = Tensor.uninitialized(channels: info.channels, height: min(stripRows, info.height), width: info.width)
  var y = 0
  while y < info.height {
    let n = min(strip.height, info.height - y)
    try reader.read(n, into: &strip, at: 0)
    let alpha = (info.channels - 1) * strip.planeSize
    let opaque = strip.data.withUnsafeBufferPointer { values in
      !values[alpha ..< alpha + n * info.width].contains { $0 != 1 }
    }
    if !opaque { return false }
    y += n
  }
  return true
}

/// Filters the image of `reader` strip by strip with `strips` and writes it to `output`: at most about
/// `stripRows` + the kernel's halo rows of input are in memory at a time (three strips in flight: one decoded
/// ahead, one filtered, one encoded). The output file is the one the whole-image path writes (the same bytes).
/// `stripRows` is rounded up to `strips.plan.rowAlignment`. Returns standard output's bytes when `output.path` is nil.
///
/// Decoding, filtering and encoding overlap: a thread decodes the next strip's rows while this one filters
/// (across the cores) and another thread encodes the previous strip.
@discardableResult
public func filterInStrips(_ reader: ImageRowReader, strips: PhotoStrips, stripRows: Int, output: StreamedOutput) throws
  -> Data?
{
  precondition(reader.refusal == nil && reader.row == 0, "the reader cannot stream or is not at its first row")
  let info = reader.info, plan = strips.plan
  let alignment = plan.rowAlignment
  let rowsPerStrip = max(1, (stripRows + alignment - 1) / alignment * alignment)
  let written = output.format.capabilities.writtenChannels(info.channels)
  // The strips and the input rows each reads; input rows come in order and a window keeps what the next needs.
  var steps: [(rows: Range<Int>, inputRows: Range<Int>)] = []
  var readUpTo = 0
  for y in stride(from: 0, to: info.height, by: rowsPerStrip) {
    let rows = y ..< min(info.height, y + rowsPerStrip)
    let needed = plan.inputRows(for: rows)
    let inputRows = needed.lowerBound ..< max(needed.upperBound, readUpTo)
    _ = try CheckedSize.count([info.channels, inputRows.count, info.width], what: "a strip of the image")
    steps.append((rows, inputRows))
    readUpTo = inputRows.upperBound
  }
  let schedule = steps
  let largestWindow = schedule.map(\.inputRows.count).max() ?? 0, largestStrip = schedule.map(\.rows.count).max() ?? 0
  _ = try CheckedSize.count([info.channels, largestStrip, info.width], what: "a strip of the result")
  func run(_ path: String?) throws -> Data? {
    let writer = try ImageRowWriter(
      path: path, name: output.name, format: output.format, width: info.width, height: info.height,
      channels: written, bitDepth: output.bitDepth, quality: output.quality, pngCompression: output.pngCompression,
      lossless: output.lossless, metadata: output.metadata)
    let windows = StripQueue<Tensor>(capacity: 1), mapped = StripQueue<Tensor>(capacity: 1)
    // Windows and results come back once used (a result can be its window), for the next strips: after the first
    // few, no fresh memory is touched.
    let spare = SpareBuffers(channels: info.channels, height: max(largestWindow, largestStrip), width: info.width)
    // The reader is used by the decoder thread only and the writer by the encoder thread only, until both end.
    let (readerForThread, writerForThread) = (Shared(reader), Shared(writer))
    let decoder = Thread {
      let reader = readerForThread.value
      windows.run {
        var skipped = Tensor.uninitialized(channels: info.channels, height: 1, width: info.width)
        // `window` is the current step's, already holding the rows it shares with the previous one.
        var window = spare.take(height: schedule.first?.inputRows.count ?? 0)
        var filled = 0 ..< 0
        for (i, (_, inputRows)) in schedule.enumerated() {
          let fresh = max(inputRows.lowerBound, filled.upperBound) ..< inputRows.upperBound
          if !fresh.isEmpty {
            while reader.row < fresh.lowerBound { try reader.read(1, into: &skipped, at: 0) }  // rows no output reads
            try reader.read(fresh.count, into: &window, at: fresh.lowerBound - inputRows.lowerBound)
          }
          var next = Tensor(channels: 0, height: 0, width: 0)
          if i + 1 < schedule.count {
            let nextRows = schedule[i + 1].inputRows
            next = spare.take(height: nextRows.count)
            let kept = nextRows.clamped(to: inputRows)
            if !kept.isEmpty {
              copyRows(from: window, rows: kept.lowerBound - inputRows.lowerBound, count: kept.count, into: &next,
                       at: kept.lowerBound - nextRows.lowerBound)
            }
          }
          guard windows.put(consume window) else { return }
          (window, filled) = (next, inputRows)
        }
        // Rows past the last the filter reads (none for a `same` filter) are read so the end can be checked.
        while reader.row < info.height { try reader.read(1, into: &skipped, at: 0) }
        try reader.finish()
      }
    }
    let encoder = Thread {
      let writer = writerForThread.value
      mapped.drain({ try writer.write($0) }, then: spare.put)
    }
    (decoder.stackSize, encoder.stackSize) = (4 << 20, 4 << 20)
    decoder.start()
    encoder.start()
    defer {
      // On a failure here, the other threads stop at their next strip; wait for them before the reader and
      // writer go away.
      windows.cancel()
      mapped.cancel()
      windows.waitUntilFinished()
      mapped.waitUntilFinished()
    }
    do {
      for (rows, inputRows) in schedule {
        guard let window = try windows.take() else { break }
        var result =
          strips.passesWindowThrough ? Tensor(channels: 0, height: 0, width: 0) : spare.take(height: rows.count)
        try strips.apply(window, inputRows: inputRows, rows: rows, into: &result)
        if sharesStorage(window, result) {
          _ = consume window  // before the result goes on, so that its storage comes back with one holder
        } else {
          spare.put(consume window)
        }
        guard mapped.put(consume result) else { break }
      }
      _ = try windows.take()  // the decoder's end: its error, if any
      mapped.close()
      try mapped.waitForConsumer()
    }
    return try writer.finish()
  }
  guard let path = output.path else { return try run(nil) }
  try AtomicFile.write(path) { temporary in _ = try run(temporary) }
  return nil
}

/// A bounded queue between the strip pipeline's threads: the producer `put`s and ends with `run`'s result, the
/// consumer `take`s (nil at the end) or `drain`s; an error on either side reaches the other at its next call.
// Unchecked: its slots and flags change under `condition`'s lock only; each item goes to one thread.
private final class StripQueue<T>: @unchecked Sendable {
  private let condition = NSCondition()
  private var items: [T] = []
  private let capacity: Int
  private var closed = false, cancelled = false, finished = false
  private var error: Error?

  init(capacity: Int) { self.capacity = capacity }

  /// Producer: runs `body` (which `put`s), then closes the queue, with `body`'s error if it threw.
  func run(_ body: () throws -> Void) {
    do { try body() } catch { fail(error) }
    close()
    markFinished()
  }

  /// Consumer on its own thread: hands every item to `body`, then to `recycle`, until the queue is closed and empty.
  func drain(_ body: (T) throws -> Void, then recycle: (consuming T) -> Void) {
    do {
      while let item = try take() {
        try body(item)
        recycle(consume item)
      }
    } catch {
      fail(error)
    }
    markFinished()
  }

  /// Adds an item, waiting for room; false when the queue was cancelled or the consumer failed.
  func put(_ item: consuming T) -> Bool {
    condition.lock()
    defer { condition.unlock() }
    while items.count >= capacity && !cancelled && error == nil { condition.wait() }
    guard !cancelled && error == nil else { return false }
    items.append(consume item)
    condition.broadcast()
    return true
  }

  /// The next item, waiting for one; nil when the queue is closed and empty; throws the producer's error.
  func take() throws -> T? {
    condition.lock()
    defer { condition.unlock() }
    while items.isEmpty && !closed && !cancelled && error == nil { condition.wait() }
    if let error { throw error }
    guard !items.isEmpty, !cancelled else { return nil }
    let item = items.removeFirst()
    condition.broadcast()
    return item
  }

  func close() {
    condition.lock()
    closed = true
    condition.broadcast()
    condition.unlock()
  }

  func cancel() {
    condition.lock()
    cancelled = true
    condition.broadcast()
    condition.unlock()
  }

  /// Waits until the consumer has taken and handled every item; throws its error.
  func waitForConsumer() throws {
    waitUntilFinished()
    condition.lock()
    defer { condition.unlock() }
    if let error { throw error }
  }

  func waitUntilFinished() {
    condition.lock()
    while !finished { condition.wait() }
    condition.unlock()
  }

  private func fail(_ e: Error) {
    condition.lock()
    if error == nil { error = e }
    condition.broadcast()
    condition.unlock()
  }

  private func markFinished() {
    condition.lock()
    finished = true
    condition.broadcast()
    condition.unlock()
  }
}

/// Tensors of one channel count and width handed back by the thread that last used them, for the next strip.
/// Callers put a tensor back once nothing else holds its storage (else reusing it copies it).
private final class SpareBuffers: @unchecked Sendable {  // Unchecked: its mutable state is read and written under `lock` only.
  private let lock = NSLock()
  private var spare: [Tensor] = []
  private let channels: Int, height: Int, width: Int

  /// Buffers of `channels x height x width` samples at most (the size `filterInStrips` checked).
  init(channels: Int, height: Int, width: Int) { (self.channels, self.height, self.width) = (channels, height, width) }

  /// A spare tensor (a fresh one of the full size when none is left) shaped `channels x rows x width`.
  func take(height rows: Int) -> Tensor {
    var tensor =
      lock.withLock { spare.popLast() } ?? .uninitialized(channels: channels, height: max(rows, height), width: width)
    tensor.reshapeReusingStorage(channels: channels, height: rows, width: width)
    return tensor
  }

  func put(_ tensor: consuming Tensor) {
    lock.lock()
    spare.append(consume tensor)
    lock.unlock()
  }
}

/// Whether `a` and `b` hold the same storage.
private func sharesStorage(_ a: Tensor, _ b: Tensor) -> Bool {
  a.data.withUnsafeBufferPointer { x in b.data.withUnsafeBufferPointer { y in x.baseAddress == y.baseAddress } }
}

/// Copies `count` rows of every channel of `source`, from row `first`, into `destination` from row `at`.
private func copyRows(from source: Tensor, rows first: Int, count: Int, into destination: inout Tensor, at: Int) {
  let width = source.width, n = count * width, plane = destination.planeSize
  source.data.withUnsafeBufferPointer { src in
    destination.data.withUnsafeMutableBufferPointer { dst in
      for c in 0 ..< source.channels {
        (dst.baseAddress! + c * plane + at * width)
          .update(from: src.baseAddress! + c * source.planeSize + first * width, count: n)
      }
    }
  }
}
