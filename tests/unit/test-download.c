/* sources: src/agent/download.c src/agent/checksum.c src/agent/log.c src/basic/fileio.c
 * src/basic/hexdecoct.c */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "agent/download.h"
#include "agent/log.h"

#include "test.h"

#define IMAGE_SIZE (3 * 1024 * 1024 + 12345)

static char dir[] = "/tmp/test-download.XXXXXX";
static char image_sha256[65], image_md5[33], image_sha512[129];
static unsigned char *image;
static int port;

/* The hex digest of the image by coreutils, not by the code under test. */
static int tool_digest(const char *tool, char *out, size_t len)
{
	char cmd[512];
	FILE *f;
	int ok;

	snprintf(cmd, sizeof(cmd), "%s '%s/image.img'", tool, dir);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	ok = fread(out, 1, len, f) == len;
	out[len] = '\0';
	pclose(f);
	return ok ? 0 : -1;
}

static int write_file(const char *name, const void *data, size_t len)
{
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	if (!f)
		return -1;
	n = fwrite(data, 1, len, f);
	return fclose(f) == 0 && n == len ? 0 : -1;
}

static pid_t start_server(void)
{
	char script[512], portfile[512], src[] = __FILE__, buf[16] = "";
	pid_t pid;

	snprintf(script, sizeof(script), "%s/data/download-server.py", dirname(src));
	snprintf(portfile, sizeof(portfile), "%s/port", dir);
	pid = fork();
	if (pid == 0) {
		execlp("python3", "python3", script, dir, portfile, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; pid > 0 && i < 200; i++) {
		FILE *f = fopen(portfile, "re");

		if (f) {
			port = fgets(buf, sizeof(buf), f) ? atoi(buf) : 0;
			fclose(f);
			if (port > 0)
				return pid;
		}
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return -1;
		nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
	}
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
	return -1;
}

/* A port nothing listens on: bound, then closed. */
static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), p = 0;

	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &l) == 0)
		p = ntohs(a.sin_port);
	close(fd);
	return p;
}

/* How many requests the server saw for path. */
static int server_count(const char *path)
{
	char url[256], buf[32] = "";
	CURL *c = curl_easy_init();
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");
	int n = -1;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/count%s", port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	if (curl_easy_perform(c) == CURLE_OK) {
		fflush(f);
		n = atoi(buf);
	}
	fclose(f);
	curl_easy_cleanup(c);
	return n;
}

/* The output file holds exactly the image. */
static bool output_is_image(int fd)
{
	struct stat st;
	unsigned char *b;
	bool ok;

	if (fstat(fd, &st) < 0 || st.st_size != IMAGE_SIZE)
		return false;
	b = malloc(IMAGE_SIZE);
	ok = pread(fd, b, IMAGE_SIZE, 0) == IMAGE_SIZE && memcmp(b, image, IMAGE_SIZE) == 0;
	free(b);
	return ok;
}

struct run {
	int r;
	struct download_result res;
	int fd;
};

/* Downloads image_info (a printf format: %1$d is the port) with short retries. */
static void run(struct run *t, unsigned retries, bool device, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void run(struct run *t, unsigned retries, bool device, const char *fmt, ...)
{
	struct download_params p;
	char json[2048], path[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(json, sizeof(json), fmt, ap);
	va_end(ap);
	download_params_init(&p);
	p.image_info = json_tokener_parse(json);
	p.connection_retries = retries;
	p.retry_interval = 0;
	p.connection_timeout = 2;
	p.progress_interval = 1;
	p.target_is_device = device;
	snprintf(path, sizeof(path), "%s/out", dir);
	p.target = path;
	if (t->fd >= 0)
		close(t->fd);
	t->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (!device && t->fd >= 0 && ftruncate(t->fd, 0) < 0)
		perror("ftruncate");
	download_result_done(&t->res);
	t->r = download_image(&p, t->fd, &t->res);
	json_object_put(p.image_info);
}

#define IMG_URL "\"urls\": [\"http://127.0.0.1:%1$d/"

int main(void)
{
	struct run t = {.fd = -1};
	char cmd[600], sums[1024];
	pid_t pid;
	int refused;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 77;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	log_set_quiet(true);
	for (size_t i = 0; i < 8; i++) /* only the proxies the tests give */
		unsetenv((const char *[]){"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
					  "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"}[i]);
	image = malloc(IMAGE_SIZE);
	for (size_t i = 0, x = 12345; i < IMAGE_SIZE; i++)
		image[i] = (unsigned char)((x = x * 1103515245 + 12345) >> 16);
	if (write_file("image.img", image, IMAGE_SIZE) < 0 ||
	    tool_digest("sha256sum", image_sha256, 64) < 0 ||
	    tool_digest("md5sum", image_md5, 32) < 0 ||
	    tool_digest("sha512sum", image_sha512, 128) < 0) {
		printf("cannot prepare the image or its digests here\n");
		return 77;
	}
	pid = start_server();
	if (pid < 0) {
		printf("cannot start python3 %s here\n", "download-server.py");
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		(void)!system(cmd);
		return 77;
	}

	run(&t, 2, false,
	    "{\"id\": \"img\", " IMG_URL "f/image.img\"], \"os_hash_algo\": \"sha256\", "
	    "\"os_hash_value\": \"%2$s\"}",
	    port, image_sha256);
	CHECK(t.r == 0 && t.res.bytes == IMAGE_SIZE && t.res.content_length == IMAGE_SIZE &&
		  t.res.attempts == 1 && t.res.algo == CHECKSUM_SHA256 &&
		  strcmp(t.res.digest, image_sha256) == 0 && output_is_image(t.fd),
	      "sha256 image written byte for byte (r=%d %s)", t.r,
	      t.res.error.details ? t.res.error.details : "");

	run(&t, 0, false,
	    "{\"id\": \"img\", " IMG_URL "redirect/image.img\"], \"checksum\": \"%2$s\"}", port,
	    image_md5);
	CHECK(t.r == 0 && t.res.algo == CHECKSUM_MD5 && output_is_image(t.fd),
	      "redirect followed, legacy md5 checksum");

	run(&t, 0, false, "{\"id\": \"img\", " IMG_URL "f/image.img\"], \"checksum\": \"%2$s\"}",
	    port, image_sha512);
	CHECK(t.r == 0 && t.res.algo == CHECKSUM_SHA512 && strcmp(t.res.digest, image_sha512) == 0,
	      "legacy checksum of 128 hex: sha512");

	run(&t, 1, true,
	    "{\"id\": \"img\", " IMG_URL "f/image.img\"], \"os_hash_algo\": \"sha256\", "
	    "\"os_hash_value\": \"%2$.63s0\"}",
	    port, image_sha256);
	snprintf(sums, sizeof(sums),
		 "Download of image img failed: ignored; Image failed to verify against checksum. "
		 "location: img; image ID: %s/out; image checksum: %.63s0; verification checksum: "
		 "%s",
		 dir, image_sha256, image_sha256);
	CHECK(t.r == -EBADMSG && t.res.attempts == 2 &&
		  strcmp(t.res.error.type, "ImageChecksumError") == 0 &&
		  strcmp(t.res.error.details, strstr(sums, "Image failed")) == 0 &&
		  strcmp(t.res.digest, image_sha256) == 0,
	      "checksum mismatch: retried once, then IPA's ImageChecksumError (%s)",
	      t.res.error.details ? t.res.error.details : "");

	run(&t, 2, true,
	    "{\"id\": \"img\", " IMG_URL "drop/image.img\"], \"os_hash_algo\": \"sha256\", "
	    "\"os_hash_value\": \"%2$s\"}",
	    port, image_sha256);
	CHECK(t.r == 0 && t.res.attempts == 2 && t.res.bytes == IMAGE_SIZE &&
		  output_is_image(t.fd) && server_count("/drop/image.img") == 2,
	      "dropped connection mid-body: the download restarts from byte 0 (r=%d)", t.r);

	run(&t, 2, false,
	    "{\"id\": \"img\", " IMG_URL "flaky/image.img\"], \"os_hash_algo\": \"sha256\", "
	    "\"os_hash_value\": \"%2$s\"}",
	    port, image_sha256);
	CHECK(t.r == 0 && t.res.attempts == 1 && output_is_image(t.fd) &&
		  server_count("/flaky/image.img") == 2,
	      "500 then 200: the request is retried inside one download");

	run(&t, 2, false,
	    "{\"id\": \"img\", \"urls\": [\"http://127.0.0.1:%1$d/always500/a.img\", "
	    "\"http://127.0.0.1:%1$d/f/image.img\"], \"os_hash_algo\": \"sha256\", "
	    "\"os_hash_value\": \"%2$s\"}",
	    port, image_sha256);
	CHECK(t.r == 0 && t.res.attempts == 1 && output_is_image(t.fd) &&
		  server_count("/always500/a.img") == 3,
	      "a URL failing with 5xx moves on to the next one");

	run(&t, 1, false,
	    "{\"id\": \"img\", \"urls\": [\"http://127.0.0.1:%1$d/always500/b.img\"], "
	    "\"checksum\": \"%2$s\"}",
	    port, image_md5);
	CHECK(t.r == -EIO && t.res.attempts == 2 && server_count("/always500/b.img") == 4 &&
		  strcmp(t.res.error.type, "ImageDownloadError") == 0 &&
		  strstr(t.res.error.details, "Download of image img failed: URL: ") ==
		      t.res.error.details &&
		  strstr(t.res.error.details,
			 "Error: Received status code 500 from http://127.0.0.1:") &&
		  strstr(t.res.error.details, ", expected 200. Response body: try later "
					      "Response headers: {'Server': "),
	      "5xx everywhere: both loops retry, IPA's ImageDownloadError (%s)",
	      t.res.error.details ? t.res.error.details : "");

	run(&t, 2, false, "{\"id\": \"img\", " IMG_URL "404/image.img\"], \"checksum\": \"%2$s\"}",
	    port, image_md5);
	snprintf(sums, sizeof(sums),
		 "Download of image img failed: Received status code 404 from "
		 "http://127.0.0.1:%d/404/image.img, expected 200. Response body: no such image "
		 "Response headers: {'Server': ",
		 port);
	CHECK(t.r == -EIO && t.res.attempts == 1 &&
		  strcmp(t.res.error.type, "ImageDownloadFatalError") == 0 &&
		  strncmp(t.res.error.details, sums, strlen(sums)) == 0 &&
		  strstr(t.res.error.details, "'X-Test': \"a'b\"}") &&
		  server_count("/404/image.img") == 3,
	      "404: requested again as IPA really does, then fatal (%s)",
	      t.res.error.details ? t.res.error.details : "");

	refused = free_port();
	run(&t, 2, true,
	    "{\"id\": \"img\", \"urls\": [\"http://127.0.0.1:%d/image.img\"], \"checksum\": "
	    "\"%s\"}",
	    refused, image_md5);
	CHECK(t.r == -EIO && t.res.attempts == 1 &&
		  strcmp(t.res.error.type, "CommandExecutionError") == 0 && t.res.error.details &&
		  *t.res.error.details,
	      "connection refused: retried, then the error escapes both loops (%s)",
	      t.res.error.details ? t.res.error.details : "");

	snprintf(sums, sizeof(sums), "# sums\n%s  other.img\n%s *image.img\n", image_md5,
		 image_sha256);
	write_file("SHA256SUMS", sums, strlen(sums));
	run(&t, 0, true,
	    "{\"id\": \"img\", " IMG_URL "f/image.img\"], \"checksum\": "
	    "\"http://127.0.0.1:%1$d/f/SHA256SUMS\"}",
	    port);
	CHECK(t.r == 0 && t.res.algo == CHECKSUM_SHA256 &&
		  strcmp(t.res.expected, image_sha256) == 0 && output_is_image(t.fd),
	      "checksum from a URL, algorithm by length (r=%d %s)", t.r,
	      t.res.error.details ? t.res.error.details : "");

	snprintf(sums, sizeof(sums), "SHA512 (image.img) = %s\n", image_sha512);
	write_file("CHECKSUM", sums, strlen(sums));
	run(&t, 0, false,
	    "{\"id\": \"img\", " IMG_URL "redirect/image.img\"], \"os_hash_algo\": \"sha512\", "
	    "\"os_hash_value\": \"http://127.0.0.1:%1$d/redirect/CHECKSUM\"}",
	    port);
	CHECK(t.r == 0 && t.res.algo == CHECKSUM_SHA512 && output_is_image(t.fd),
	      "os_hash_value as a URL, behind redirects");

	run(&t, 1, false,
	    "{\"id\": \"img\", " IMG_URL "f/other.img\"], \"checksum\": "
	    "\"http://127.0.0.1:%1$d/f/CHECKSUM\"}",
	    port);
	CHECK(t.r == -EIO && t.res.attempts == 2 &&
		  strcmp(t.res.error.type, "ImageDownloadError") == 0 &&
		  strstr(t.res.error.details, "Checksum file does not contain name other.img"),
	      "checksum file without the image: retried, then IPA's error");

	run(&t, 0, false,
	    "{\"id\": \"img\", " IMG_URL "f/image.img\"], \"checksum\": "
	    "\"http://127.0.0.1:%1$d/404/SUMS\"}",
	    port);
	CHECK(t.r == -EIO && strcmp(t.res.error.type, "ImageDownloadFatalError") == 0 &&
		  strstr(t.res.error.details, "Download of image http://127.0.0.1:") ==
		      t.res.error.details,
	      "checksum URL 404: fatal, named by its URL");

	run(&t, 0, false,
	    "{\"id\": \"img\", \"urls\": [\"http://ingot-test.invalid/f/image.img\"], "
	    "\"proxies\": {\"http\": \"http://127.0.0.1:%1$d\"}, \"no_proxy\": "
	    "\"ingot-test.invalid\", \"checksum\": \"%2$s\"}",
	    port, image_md5);
	CHECK(t.r == 0 && output_is_image(t.fd),
	      "image_info proxies used, whatever no_proxy says (as requests)");

	run(&t, 0, true, "{\"id\": \"img\", " IMG_URL "stall/image.img\"], \"checksum\": \"%2$s\"}",
	    port, image_md5);
	snprintf(
	    sums, sizeof(sums),
	    "Download of image img failed: Unable to write image to device %s/out. Error: ", dir);
	CHECK(t.r == -EIO && strcmp(t.res.error.type, "ImageDownloadError") == 0 &&
		  strncmp(t.res.error.details, sums, strlen(sums)) == 0,
	      "a stalled body times out (%s)", t.res.error.details ? t.res.error.details : "");

	run(&t, 0, false, "{\"id\": \"img\", " IMG_URL "f/image.img\"]}", port);
	CHECK(t.r == -EINVAL && strcmp(t.res.error.type, "InvalidCommandParamsError") == 0,
	      "no checksum at all: -EINVAL");
	run(&t, 0, false, "{\"id\": \"img\", \"urls\": []}");
	CHECK(t.r == -EINVAL && strcmp(t.res.error.details, "Image 'urls' must be a list with at "
							    "least one element.") == 0,
	      "empty urls: IPA's error");

	{
		struct download_params p;
		atomic_bool cancel = true;

		download_params_init(&p);
		p.image_info = json_tokener_parse("{\"id\": \"i\", \"urls\": [\"http://127.0.0.1:1/"
						  "x\"], \"checksum\": \"http://127.0.0.1:1/s\"}");
		p.cancel = &cancel;
		p.target = "out";
		download_result_done(&t.res);
		t.r = download_image(&p, t.fd, &t.res);
		CHECK(t.r == -ECANCELED, "a set cancel flag stops the download");
		json_object_put(p.image_info);
		CHECK(p.connection_timeout == 60 && p.connection_retries == 9 &&
			  p.retry_interval == 10 && p.md5_enabled,
		      "IPA's defaults");
	}

	download_result_done(&t.res);
	close(t.fd);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	free(image);
	curl_global_cleanup();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("warning: could not remove %s\n", dir);
	return failures ? 1 : 0;
}
