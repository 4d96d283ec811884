"""The node's terminal: a host-side line editor feeding pid0's stdin stream on a TTY."""
