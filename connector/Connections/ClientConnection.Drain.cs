using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text;
using BrokerChat.Connector.Frames;
using BrokerChat.Connector.Transport;

namespace BrokerChat.Connector.Connections;

/// <summary>The drain of a connection: started by whoever queues into an empty queue, it writes every queued frame to the transport with its WebSocket header and ends when the queue is empty.</summary>
internal sealed partial class ClientConnection
{
    /// <summary>Claims the writer for a new drain when there is something to write and no drain running. Under <see cref="_gate"/>.</summary>
    private bool StartDrainIfNeeded()
    {
        if (_draining || _output is null || _isAborted || (_count == 0 && !StreamPending && (_closing == 0 || _closeWritten)))
        {
            return false;
        }

        _draining = true;
        return true;
    }

    /// <summary>
    /// Writes queued frames until the queue is empty, flushing every <see cref="FlushThreshold"/> bytes and at the
    /// end; once the connection is closing and the queue is empty, writes the closing frames. Runs on the thread that
    /// queued the first frame until the transport pushes back; it never blocks that thread.
    /// </summary>
    private async Task DrainAsync()
    {
        var output = _output!;
        try
        {
            while (true)
            {
                var unflushed = 0;
                var sent = 0;
                var expired = 0;
                while (TryDequeue(out var frame, out var sequenceId, ref expired))
                {
                    unflushed += sequenceId == 0 ? Write(output, frame.Opcode, frame.Payload.Span) : WriteSequenced(output, Writer, sequenceId, frame.Payload.Span);
                    if (frame.Opcode is WebSocketOpcode.Text or WebSocketOpcode.Binary)
                    {
                        FrameSent?.Invoke(frame.Payload.Length);
                    }

                    sent++;
                    if (unflushed >= FlushThreshold)
                    {
                        await FlushAsync(output).ConfigureAwait(false);
                        unflushed = 0;
                    }
                }

                if (expired > 0)
                {
                    MessageExpired?.Invoke(expired);
                }

                if (sent > 0)
                {
                    await FlushAsync(output).ConfigureAwait(false);
                    Volatile.Write(ref _lastSent, _clock.GetTimestamp());
                }

                byte[]? disconnected;
                ushort status;
                string reason;
                lock (_gate)
                {
                    if (_count > 0 || StreamPending)
                    {
                        continue; // queued while the flush ran
                    }

                    if (_closing == 0 || _closeWritten)
                    {
                        EndDrain();
                        return;
                    }

                    _closeWritten = true;
                    disconnected = _receiveEnded ? null : _disconnectedFrame;
                    status = (ushort)_closeStatus;
                    reason = _closeReason;
                }

                if (disconnected is not null)
                {
                    Write(output, _frameOpcode, disconnected);
                }

                WriteClose(output, status, reason);
                await FlushAsync(output).ConfigureAwait(false);
                if (AbortsAfterClose)
                {
                    // The client's close is not waited for. Ending the receive side (rather than aborting the
                    // transport) lets the closing frames already handed to the transport still go out.
                    Action? endReceive;
                    lock (_gate)
                    {
                        _isAborted = true;
                        endReceive = _endReceive;
                        EndDrain();
                    }

                    if (endReceive is null)
                    {
                        Abort();
                    }
                    else
                    {
                        endReceive();
                    }

                    return;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            lock (_gate)
            {
                _closeWritten = true;
                EndDrain();
            }

            Abort();
        }
    }

    /// <summary>Marks the drain as ended and releases whoever waits for it. Under <see cref="_gate"/>.</summary>
    private void EndDrain()
    {
        _draining = false;
        var ended = _drainEnded;
        _drainEnded = null;
        ended?.TrySetResult(); // continuations run asynchronously: not under the lock
    }

    /// <summary>Reliable messages are waiting to be written, and may be. Under <see cref="_gate"/>.</summary>
    private bool StreamPending => _stream is { HasUnsent: true } && !_discardQueued && !_closeWritten
        && (_closing == 0 || _sessionOnClose == SessionOnClose.Flush);

    /// <summary>
    /// The next frame to write: queued control frames first, then the reliable stream in order. Messages whose time
    /// to live passed while they waited are skipped, and counted in <paramref name="expired"/>.
    /// </summary>
    private bool TryDequeue(out OutboundFrame frame, out ulong sequenceId, ref int expired)
    {
        lock (_gate)
        {
            sequenceId = 0;
            long now = 0; // read from the clock only when a message has a time to live
            while (true)
            {
                if (_count == 0 || _discardQueued)
                {
                    if (StreamPending)
                    {
                        var stream = _stream!;
                        for (long at; (at = stream.NextUnsentExpiresAt) != 0 && at <= (now = now != 0 ? now : _clock.GetUtcNow().ToUnixTimeMilliseconds());)
                        {
                            stream.ExpireNextUnsent();
                            expired++;
                        }

                        if (stream.TryTakeUnsent(out sequenceId, out var payload))
                        {
                            frame = new OutboundFrame(payload, _frameOpcode);
                            return true;
                        }
                    }

                    frame = default;
                    return false;
                }

                frame = _ring![_head];
                _ring[_head] = default;
                _head = (_head + 1) % _ring.Length;
                _count--;
                _queuedBytes -= frame.Payload.Length;
                if (frame.ExpiresAt != 0 && frame.ExpiresAt <= (now = now != 0 ? now : _clock.GetUtcNow().ToUnixTimeMilliseconds()))
                {
                    expired++;
                    continue;
                }

                return true;
            }
        }
    }

    private static async ValueTask FlushAsync(PipeWriter output)
    {
        var result = await output.FlushAsync().ConfigureAwait(false);
        if (result.IsCompleted || result.IsCanceled)
        {
            throw new IOException("The connection's transport is closed.");
        }
    }

    /// <summary>Writes one final, unmasked frame; returns the bytes written.</summary>
    private static int Write(PipeWriter output, WebSocketOpcode opcode, ReadOnlySpan<byte> payload)
    {
        var header = output.GetSpan(WebSocketFrameHeader.MaxLength);
        var headerLength = WebSocketFrameHeader.WriteServerHeader(header, opcode, payload.Length);
        output.Advance(headerLength);
        output.Write(payload);
        return headerLength + payload.Length;
    }

    /// <summary>Writes a shared message frame with this recipient's sequence id put in front; returns the bytes written.</summary>
    private static int WriteSequenced(PipeWriter output, FrameWriter writer, ulong sequenceId, ReadOnlySpan<byte> frame)
    {
        Span<byte> prefix = stackalloc byte[FrameWriter.MaxSequencePrefixLength];
        var prefixLength = writer.WriteSequencePrefix(prefix, sequenceId, frame[0]);
        var length = prefixLength + frame.Length - 1;
        var header = output.GetSpan(WebSocketFrameHeader.MaxLength);
        var headerLength = WebSocketFrameHeader.WriteServerHeader(header, writer is MessagePackFrameWriter ? WebSocketOpcode.Binary : WebSocketOpcode.Text, length);
        output.Advance(headerLength);
        output.Write(prefix[..prefixLength]);
        output.Write(frame[1..]);
        return headerLength + length;
    }

    private static void WriteClose(PipeWriter output, ushort status, string reason)
    {
        Span<byte> payload = stackalloc byte[2 + MaxCloseReasonBytes];
        BinaryPrimitives.WriteUInt16BigEndian(payload, status);
        var length = 2 + Encoding.UTF8.GetBytes(reason, payload[2..]);
        Write(output, WebSocketOpcode.Close, payload[..length]);
    }
}
