namespace Edge.Agent.Devices.Channels;

/// <summary>
/// A printer device file such as /dev/usb/lp0 (the usblp kernel driver), opened read/write.
/// The kernel's read has no timeout, so one background read stays pending across <see cref="Read"/>
/// calls and a call only waits on it for as long as its timeout allows.
/// </summary>
public sealed class DeviceFileChannel : IByteChannel
{
    private readonly FileStream _stream;
    private readonly byte[] _readBuffer = new byte[256];
    private Task<int>? _pendingRead;
    private int _bufferedStart, _bufferedEnd;

    public DeviceFileChannel(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = path;
        try
        {
            _stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, bufferSize: 0);
        }
        catch (FileNotFoundException e)
        {
            throw Missing(path, e);
        }
        catch (DirectoryNotFoundException e)
        {
            throw Missing(path, e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new DeviceException($"no permission to open {path}: add the service user to the lp group (sudo usermod -aG lp $USER) and log in again", e);
        }
        catch (IOException e)
        {
            throw new DeviceException($"cannot open {path}: {e.Message}", e);
        }
    }

    public string Path { get; }
    public string Description => $"device file {Path}";

    public void Write(ReadOnlySpan<byte> data)
    {
        try
        {
            _stream.Write(data);
        }
        catch (IOException e)
        {
            throw new DeviceException($"writing to {Path} failed ({e.Message}): is the printer still plugged in and switched on?", e);
        }
    }

    public void Flush()
    {
        try
        {
            _stream.Flush();
        }
        catch (IOException e)
        {
            throw new DeviceException($"flushing {Path} failed ({e.Message})", e);
        }
    }

    public int Read(Span<byte> buffer, TimeSpan timeout)
    {
        if (buffer.IsEmpty) return 0;
        if (_bufferedStart == _bufferedEnd)
        {
            _pendingRead ??= _stream.ReadAsync(_readBuffer, 0, _readBuffer.Length);
            try
            {
                if (!_pendingRead.Wait(timeout < TimeSpan.Zero ? TimeSpan.Zero : timeout)) return 0;
                _bufferedStart = 0;
                _bufferedEnd = _pendingRead.Result;
            }
            catch (AggregateException e) when (e.InnerException is IOException io)
            {
                throw new DeviceException($"reading from {Path} failed ({io.Message})", io);
            }
            finally
            {
                if (_pendingRead.IsCompleted) _pendingRead = null;
            }
        }
        int n = Math.Min(buffer.Length, _bufferedEnd - _bufferedStart);
        _readBuffer.AsSpan(_bufferedStart, n).CopyTo(buffer);
        _bufferedStart += n;
        return n;
    }

    public void Dispose() => _stream.Dispose();

    private static DeviceException Missing(string path, Exception inner) => new(
        $"{path} does not exist: check the printer is plugged in and switched on, that the usblp module is loaded " +
        "(lsmod | grep usblp; sudo modprobe usblp), and that the right node is configured (ls /dev/usb/)", inner);
}
