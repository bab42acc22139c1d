//! A lean HTTP/1.1 client connection for the load generator (`load_gen`): one request at a time
//! on a keep-alive TCP connection, the request written as pre-built bytes, the answer read only
//! as far as its status and the end of its body (`Content-Length` or chunked). Nothing else is
//! parsed: the generator counts statuses and latencies, it does not read answers.

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The largest response head accepted, in bytes (a guard against a runaway peer).
const HEAD_LEN_MAX: usize = 64 * 1024;
/// Bytes read from the socket at a time.
const READ_CHUNK: usize = 16 * 1024;

/// One keep-alive connection.
#[derive(Debug)]
pub struct Connection {
    stream: TcpStream,
    buf: Vec<u8>,
}

/// What one exchange came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    /// The response status.
    pub status: u16,
    /// The server asked to close the connection after this answer.
    pub close: bool,
}

fn bad(what: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

impl Connection {
    /// Connects to `addr` with `TCP_NODELAY`.
    pub async fn open(addr: &str) -> io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: Vec::with_capacity(READ_CHUNK),
        })
    }

    /// Sends `request` (a whole HTTP/1.1 request) and reads its answer to the end.
    pub async fn exchange(&mut self, request: &[u8]) -> io::Result<Answer> {
        self.stream.write_all(request).await?;
        let head_len = loop {
            if let Some(at) = find(&self.buf, b"\r\n\r\n") {
                break at + 4;
            }
            if self.buf.len() > HEAD_LEN_MAX {
                return Err(bad("response head too long"));
            }
            self.fill().await?;
        };
        let head = parse_head(&self.buf[..head_len])?;
        self.buf.drain(..head_len);
        match head.body {
            Body::Length(n) => self.skip(n).await?,
            Body::Chunked => self.skip_chunked().await?,
        }
        Ok(Answer {
            status: head.status,
            close: head.close,
        })
    }

    async fn fill(&mut self) -> io::Result<()> {
        let len = self.buf.len();
        self.buf.resize(len + READ_CHUNK, 0);
        let n = self.stream.read(&mut self.buf[len..]).await;
        let n = match n {
            Ok(n) => n,
            Err(e) => {
                self.buf.truncate(len);
                return Err(e);
            }
        };
        self.buf.truncate(len + n);
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed mid-answer",
            ));
        }
        Ok(())
    }

    async fn skip(&mut self, n: usize) -> io::Result<()> {
        while self.buf.len() < n {
            self.fill().await?;
        }
        self.buf.drain(..n);
        Ok(())
    }

    async fn line(&mut self) -> io::Result<Vec<u8>> {
        loop {
            if let Some(at) = find(&self.buf, b"\r\n") {
                let line = self.buf[..at].to_vec();
                self.buf.drain(..at + 2);
                return Ok(line);
            }
            if self.buf.len() > HEAD_LEN_MAX {
                return Err(bad("chunk line too long"));
            }
            self.fill().await?;
        }
    }

    async fn skip_chunked(&mut self) -> io::Result<()> {
        loop {
            let line = self.line().await?;
            let size_text = line.split(|&b| b == b';').next().unwrap_or_default();
            let size = std::str::from_utf8(size_text)
                .ok()
                .and_then(|s| usize::from_str_radix(s.trim(), 16).ok())
                .ok_or_else(|| bad("bad chunk size"))?;
            if size == 0 {
                // Trailers, if any, end with an empty line.
                while !self.line().await?.is_empty() {}
                return Ok(());
            }
            self.skip(size + 2).await?;
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Body {
    Length(usize),
    Chunked,
}

#[derive(Debug, PartialEq, Eq)]
struct Head {
    status: u16,
    close: bool,
    body: Body,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The status, the framing of the body and `Connection: close` from a response head.
fn parse_head(head: &[u8]) -> io::Result<Head> {
    let text = std::str::from_utf8(head).map_err(|_| bad("response head is not UTF-8"))?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .strip_prefix("HTTP/1.1 ")
        .or_else(|| status_line.strip_prefix("HTTP/1.0 "))
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or_else(|| bad("bad status line"))?;
    let mut head = Head {
        status,
        close: status_line.starts_with("HTTP/1.0"),
        body: Body::Length(0),
    };
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            let n = value.parse().map_err(|_| bad("bad content-length"))?;
            head.body = Body::Length(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding")
            && value.to_ascii_lowercase().contains("chunked")
        {
            head.body = Body::Chunked;
        } else if name.eq_ignore_ascii_case("connection") {
            head.close = value.eq_ignore_ascii_case("close");
        }
    }
    Ok(head)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_head_gives_its_status_framing_and_close() {
        let h = parse_head(b"HTTP/1.1 409 Conflict\r\ncontent-type: application/problem+json\r\nContent-Length: 17\r\n\r\n").unwrap();
        assert_eq!(
            h,
            Head {
                status: 409,
                close: false,
                body: Body::Length(17)
            }
        );
        let h = parse_head(
            b"HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n",
        )
        .unwrap();
        assert_eq!(h.body, Body::Chunked);
        assert!(h.close);
        assert!(parse_head(b"SMTP 220\r\n\r\n").is_err());
    }

    #[tokio::test]
    async fn answers_are_read_to_their_end_on_one_connection() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut seen = Vec::new();
            let mut buf = [0u8; 1024];
            while find(&seen, b"\r\n\r\n").is_none() {
                let n = s.read(&mut buf).await.unwrap();
                seen.extend_from_slice(&buf[..n]);
            }
            s.write_all(b"HTTP/1.1 201 Created\r\ncontent-length: 5\r\n\r\nhello")
                .await
                .unwrap();
            seen.clear();
            while find(&seen, b"\r\n\r\n").is_none() {
                let n = s.read(&mut buf).await.unwrap();
                seen.extend_from_slice(&buf[..n]);
            }
            s.write_all(
                b"HTTP/1.1 409 Conflict\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            )
            .await
            .unwrap();
        });
        let mut c = Connection::open(&addr).await.unwrap();
        let req = b"POST /x HTTP/1.1\r\nhost: t\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(c.exchange(req).await.unwrap().status, 201);
        assert_eq!(c.exchange(req).await.unwrap().status, 409);
        assert!(c.buf.is_empty());
        server.await.unwrap();
    }
}
