using System.Buffers;

namespace Edge.Models.Imaging;

/// <summary>
/// Scratch arrays for the per-frame hot paths (tensor writers, resizes, letterbox, decoders), one pool per thread.
/// <see cref="ArrayPool{T}.Shared"/> drops its arrays on a gen-2 collection under memory pressure and allocates them
/// again, and a pool shared across threads allocates whenever another thread holds the arrays of that size; a
/// per-thread pool keeps what its thread used, so a pipeline's thread allocates nothing in steady state. Every
/// caller rents and returns within one synchronous call. At most 4 arrays per power-of-two size per thread.
/// </summary>
internal static class ScratchPool<T>
{
    [ThreadStatic] private static ArrayPool<T>? t_pool;

    public static ArrayPool<T> Shared => t_pool ??= ArrayPool<T>.Create(maxArrayLength: 64 * 1024 * 1024, maxArraysPerBucket: 4);
}
