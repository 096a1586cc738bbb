#pragma once

/*
 * qcow2 onto a disk as the image streams in, without a copy in RAM: what IPA does with
 * `qemu-img convert -O host_device` after downloading the image to its tmpfs, for Ironics that
 * hand over qcow2 ([DEFAULT]force_raw_images = False, or image_download_source swift/local).
 *
 * The file's bytes arrive in order. The header names the L1 table, the L1 table the L2 tables,
 * the L2 tables the data clusters; each is taken from the stream when its bytes pass, and a
 * data cluster goes straight to its guest offset on the disk (a compressed one is inflated
 * first). This needs every table and cluster to come after what points to it, which is how
 * qemu-img writes images (convert, and compressed with -c); a cluster whose bytes have already
 * gone by when it becomes known stops the write with -ESPIPE and says so. At the end, every
 * guest range no cluster wrote (unallocated, or a zero cluster) is zeroed, as qemu-img convert
 * writes it, so the disk holds exactly the image's virtual contents.
 *
 * Refused, as IPA's format inspector and qemu-img refuse or would need more: a backing file, an
 * external data file, encryption, extended L2 entries (subclusters), zstd compression, the
 * corrupt bit, unknown incompatible features, clusters outside 512 B-2 MiB, an L1 table larger
 * than 32 MiB, a virtual size larger than the disk.
 */

#include <stddef.h>
#include <stdint.h>

#define QCOW2_MAGIC	"QFI\xfb"
#define QCOW2_ERROR_MAX 256

struct qcow2_stream;

/*
 * A converter writing onto out_fd (a block device, or a file standing in for one), whose size
 * is out_size bytes. Returns 0 with *ret, or -ENOMEM.
 */
int qcow2_stream_new(int out_fd, uint64_t out_size, struct qcow2_stream **ret);
struct qcow2_stream *qcow2_stream_free(struct qcow2_stream *s);

/* Back to byte 0 of the file, for a download that starts again. */
void qcow2_stream_rewind(struct qcow2_stream *s);

/*
 * The next n bytes of the qcow2 file. Returns 0, or a negative errno with the reason in
 * qcow2_stream_error(): -EINVAL (not a qcow2 image it can write), -ESPIPE (not in streaming
 * order), -EFBIG (larger than the disk), -EBADMSG (a compressed cluster that does not inflate),
 * -ENOMEM, or the errno of a write.
 */
int qcow2_stream_write(struct qcow2_stream *s, const uint8_t *data, size_t n);

/*
 * After the last byte: checks that every table and cluster came, then zeroes what no cluster
 * wrote. Returns 0 or a negative errno as qcow2_stream_write() (-ENODATA: the file ended
 * before a table or cluster it names).
 */
int qcow2_stream_finish(struct qcow2_stream *s);

/* Why the last call failed ("" when it did not). */
const char *qcow2_stream_error(const struct qcow2_stream *s);

/* The virtual size the header gave (0 before the header came). */
uint64_t qcow2_stream_virtual_size(const struct qcow2_stream *s);
