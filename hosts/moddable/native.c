/*
 * homeward's two native helpers for the Moddable host (see native.ts):
 *
 * - xs_homeward_random_fill(buffer): fills an ArrayBuffer or a view with
 *   cryptographically secure bytes. XS has no crypto.getRandomValues, and
 *   Math.random() and the SDK's rng module are seeded identically on every
 *   simulator launch, so neither may make a key.
 *   Linux (the simulator): getrandom(2). ESP32: esp_fill_random(), which is
 *   cryptographically secure while the RF subsystem (Wi-Fi) is on or the
 *   bootloader's entropy source is enabled (ESP-IDF "Random Number Generation").
 *
 * - xs_homeward_copy(dst, dstOffset, src, srcOffset, length): memmove between
 *   two buffers. The ECMA-419 UDP read() hands back a fresh ArrayBuffer;
 *   copying it into a preallocated Uint8Array here avoids making a view of it,
 *   so a received datagram costs only what read() itself allocates.
 */
#include "xsmc.h"
#include <string.h>

#if ESP32
	#include "esp_random.h"
#elif defined(__linux__)
	#include <errno.h>
	#include <sys/random.h>
#elif defined(__APPLE__)
	#include <stdlib.h>
#else
	#error "homeward: no secure random source for this platform"
#endif

void xs_homeward_random_fill(xsMachine *the)
{
	void *data;
	xsUnsignedValue count;

	xsmcGetBufferWritable(xsArg(0), &data, &count);
#if ESP32
	esp_fill_random(data, count);
#elif defined(__linux__)
	{
		uint8_t *p = data;
		while (count > 0) {
			ssize_t n = getrandom(p, count, 0);
			if (n < 0) {
				if (EINTR == errno)
					continue;
				xsUnknownError("getrandom failed");
			}
			p += n;
			count -= (xsUnsignedValue)n;
		}
	}
#elif defined(__APPLE__)
	arc4random_buf(data, count);
#endif
}

void xs_homeward_copy(xsMachine *the)
{
	void *dst, *src;
	xsUnsignedValue dstCount, srcCount;
	xsIntegerValue dstOffset = xsmcToInteger(xsArg(1));
	xsIntegerValue srcOffset = xsmcToInteger(xsArg(3));
	xsIntegerValue length = xsmcToInteger(xsArg(4));

	xsmcGetBufferWritable(xsArg(0), &dst, &dstCount);
	xsmcGetBufferReadable(xsArg(2), &src, &srcCount);
	if ((dstOffset < 0) || (srcOffset < 0) || (length < 0) ||
		((xsUnsignedValue)dstOffset + (xsUnsignedValue)length > dstCount) ||
		((xsUnsignedValue)srcOffset + (xsUnsignedValue)length > srcCount))
		xsRangeError("homeward copy out of range");
	memmove((uint8_t *)dst + dstOffset, (uint8_t *)src + srcOffset, length);
}
