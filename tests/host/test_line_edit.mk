# The monitor's line editor: insertion at the cursor, backspace and DEL,
# Ctrl-U, the arrows and Home/End as escape sequences, CR LF as one end of
# line, history up and down, full lines, and the echo it writes.
HOST_TESTS += test_line_edit
test_line_edit_SRCS := core/launch/line_edit.c core/lib/string.c
test_line_edit_SAN := asan
