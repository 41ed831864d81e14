namespace BrokerChat.Connector.Frames;

/// <summary>A member of a room as clients see it: a row of a <c>members</c> frame.</summary>
internal readonly record struct GroupMember(string? UserId, string ConnectionId);
