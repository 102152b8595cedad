import CKernels

/// For commands that never call BLAS (`filter`, `batch`): stops OpenBLAS's worker threads, which otherwise spin
/// (sched_yield) for about 0.1 s of a core after the library loads, against the command's own threads. Nothing
/// when OPENBLAS_NUM_THREADS or OMP_NUM_THREADS is set (`ck_quiet_openblas`).
public func stopIdleBLASThreads() { ck_quiet_openblas() }
