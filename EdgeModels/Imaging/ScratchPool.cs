using System.Buffers;

namespace Edge.Models.Imaging;

/// <summary>
/// Scratch arrays for the per-frame hot paths (tensor writers, resizes, letterbox, decoders). Unlike
/// <see cref="ArrayPool{T}.Shared"/>, which drops its arrays on a gen-2 collection under memory pressure and then
/// allocates them again, this pool keeps what it has handed out once, so steady state stays allocation-free on a
/// busy board. It holds at most 16 arrays per power-of-two size.
/// </summary>
internal static class ScratchPool<T>
{
    public static readonly ArrayPool<T> Shared = ArrayPool<T>.Create(maxArrayLength: 64 * 1024 * 1024, maxArraysPerBucket: 16);
}
