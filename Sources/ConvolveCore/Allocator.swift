import CKernels

private let allocatorPrepared: Void = { ck_tune_allocator() }()

/// Keeps freed tensors' memory in the C heap for the next ones (`ck_tune_allocator`): a fresh page costs the
/// kernel a zeroing pass before it is first written. Called by the command line at start, by graph loaders,
/// plans and executors, and by the first tensor of 32 MB or more; once per process, `CONVOLVE_KEEP_MEMORY=0`
/// leaves malloc alone.
public func prepareAllocator() { _ = allocatorPrepared }
