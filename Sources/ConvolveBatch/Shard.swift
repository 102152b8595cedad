import ConvolveCore
import ConvolveFormats
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// FNV-1a, 64 bits, of the UTF-8 bytes of `text`: a hash that never changes between runs or machines.
public func fnv1a64(_ text: String) -> UInt64 { fnv1a64(bytes: text.utf8) }

/// FNV-1a, 64 bits, of `bytes`.
public func fnv1a64<Bytes: Sequence<UInt8>>(bytes: Bytes) -> UInt64 {
  var hash: UInt64 = 0xcbf2_9ce4_8422_2325
  for byte in bytes {
    hash ^= UInt64(byte)
    hash = hash &* 0x100_0000_01b3
  }
  return hash
}

/// One of `count` disjoint parts of a batch: the files whose relative path hashes (FNV-1a 64) to `index`.
/// A file keeps its shard when others are added, and the shards together cover every file.
public struct Shard: Equatable, Sendable {
  /// 0-based.
  public var index: Int
  public var count: Int

  /// `--shard I/N` (1-based).
  public init(parsing text: String) throws {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false).map { Int($0) }
    guard parts.count == 2, let i = parts[0], let n = parts[1], n >= 1 else {
      throw BatchUsageError("--shard \(text): write I/N, e.g. --shard 2/8 for the second of 8 shards")
    }
    if i == 0 {
      throw BatchUsageError(
        "--shard \(text): I counts from 1 (1/\(n) to \(n)/\(n)); for a 0-based index such as "
          + "$JOB_COMPLETION_INDEX use --shard-index \(i) --shard-count \(n)")
    }
    guard (1 ... n).contains(i) else { throw BatchUsageError("--shard \(text): I must be between 1 and \(n)") }
    (index, count) = (i - 1, n)
  }

  /// `--shard-index i --shard-count n` (0-based, for $JOB_COMPLETION_INDEX or $SLURM_ARRAY_TASK_ID).
  public init(index i: Int, count n: Int) throws {
    guard n >= 1 else { throw BatchUsageError("--shard-count is \(n); use at least 1") }
    guard (0 ..< n).contains(i) else {
      throw BatchUsageError(
        "--shard-index \(i) with --shard-count \(n): the index runs from 0 to \(n - 1)"
          + (i == n ? " (for a 1-based index use --shard \(i)/\(n))" : ""))
    }
    (index, count) = (i, n)
  }

  public func contains(_ relativePath: String) -> Bool { fnv1a64(relativePath) % UInt64(count) == UInt64(index) }

  /// `I/N`, 1-based, as the report shows it.
  public var description: String { "\(index + 1)/\(count)" }
}

/// A batch option or folder layout that cannot work; the CLI exits 64 with its message.
public struct BatchUsageError: Error, CustomStringConvertible {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// The shard asked for by `--shard I/N` or `--shard-index` with `--shard-count`, if any.
public func shardChoice(shard: String?, index: Int?, count: Int?) throws -> Shard? {
  if let shard {
    if index != nil || count != nil {
      throw BatchUsageError("give either --shard I/N or --shard-index with --shard-count, not both")
    }
    return try Shard(parsing: shard)
  }
  switch (index, count) {
  case (nil, nil): return nil
  case (.some, nil), (nil, .some): throw BatchUsageError("--shard-index and --shard-count go together")
  case (let i?, let n?): return try Shard(index: i, count: n)
  }
}
