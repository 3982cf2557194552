/* CTcc — the libtcc API (Debian's libtcc-dev, 0.9.27) as a Swift module. */
#include <libtcc.h>
