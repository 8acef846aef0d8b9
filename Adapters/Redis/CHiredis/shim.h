// hiredis 0.14 (Debian's libhiredis-dev). redisCommand is variadic and unavailable in Swift:
// use redisCommandArgv and redisAppendCommandArgv.
#include <hiredis/hiredis.h>
